"""Reads and writes of the log tables and projections over one SQLAlchemy connection."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, and_, func, select

if TYPE_CHECKING:
    import psycopg

from auditkit.db.metadata import metadata
from auditkit.ledger.projections import staff_store
from auditkit.ledger.tables import (
    checkpoints,
    conversation_events,
    conversations,
    log_entries,
    merkle_nodes,
    messages,
    participants,
    signing_keys,
)

# Keep IN lists and multi-row VALUES well under SQLite's 32766 bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class StoredEntry:
    """One row of ``log_entries`` as stored."""

    seq: int
    kind: str
    conversation_key: str | None
    recorded_at: str
    occurred_at: str
    entry: bytes
    leaf_hash: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """One row of ``checkpoints``."""

    tree_size: int
    root_hash: bytes
    created_at: str
    key_id: str
    note: str


def tree_size(conn: Connection) -> int:
    """Number of records in the log (seq is dense from 0)."""
    value = conn.execute(select(func.max(log_entries.c.seq))).scalar()
    return 0 if value is None else int(value) + 1


def _driver_rows(conn: Connection, sql: str, params: tuple[int, ...]) -> list[tuple[Any, ...]]:
    """Rows of a plain query (``%s`` placeholders) straight from the driver, inside ``conn``'s
    transaction: the verifier reads every record and node, and SQLAlchemy's row objects and
    PostgreSQL's hex-encoded ``bytea`` (text results) cost more than hashing them. On
    PostgreSQL the results come in binary (``bytea`` as raw bytes)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        # The PostgreSQL driver is psycopg 3; SQLAlchemy types only the DB-API protocol.
        with cast("psycopg.Connection[Any]", raw).cursor(binary=True) as binary:
            binary.execute(sql.encode(), params)
            return binary.fetchall()
    cursor = raw.cursor()
    try:
        cursor.execute(sql.replace("%s", "?"), params)
        return cast("list[tuple[Any, ...]]", cursor.fetchall())  # sqlite3's rows are tuples
    finally:
        cursor.close()


def node_hashes(conn: Connection, ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Hashes of complete subtrees by (level, index); level 0 reads leaf hashes.

    A proof's ~2 log2 n nodes come in two queries, one for leaves and one for inner nodes,
    sent straight to the driver (a proof is a few queries, and building and compiling a
    statement per level cost more than the database's lookups).
    """
    wanted = sorted(set(ids))
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in wanted if level == 0]
    inner = [(level, index) for level, index in wanted if level > 0]
    for start in range(0, len(leaves), CHUNK):
        part = tuple(leaves[start : start + CHUNK])
        marks = ", ".join(["%s"] * len(part))
        rows = _driver_rows(
            conn,
            f"SELECT seq, leaf_hash FROM {log_entries.name} WHERE seq IN ({marks})",
            part,
        )
        found.update({(0, int(seq)): bytes(h) for seq, h in rows})
    # An OR of ``level = ? AND idx IN (...)``, one term per level: both databases look each
    # term up in the primary key (SQLite plans a row-value IN over (level, idx) as a full
    # scan of merkle_nodes, which made proofs linear in the tree size).
    for start in range(0, len(inner), CHUNK):
        by_level: dict[int, list[int]] = {}
        for level, index in inner[start : start + CHUNK]:
            by_level.setdefault(level, []).append(index)
        terms = " OR ".join(
            f"(level = %s AND idx IN ({', '.join(['%s'] * len(indexes))}))"
            for indexes in by_level.values()
        )
        params = tuple(v for level, indexes in by_level.items() for v in (level, *indexes))
        rows = _driver_rows(
            conn, f"SELECT level, idx, hash FROM {merkle_nodes.name} WHERE {terms}", params
        )
        found.update({(int(level), int(idx)): bytes(h) for level, idx, h in rows})
    return found


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows at driver speed: COPY on PostgreSQL, executemany on SQLite.

    Ingest is throughput-bound and SQLAlchemy's per-row parameter processing cost more
    than the database's own work; these tables hold only plain str/int/bytes values.
    """
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote  # columns such as "end" are reserved words
    names = ", ".join(quote(column) for column in columns)
    if conn.dialect.name == "postgresql":
        # The PostgreSQL driver is psycopg 3; SQLAlchemy types only the DB-API protocol.
        raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows))


ENTRY_COLUMNS = (
    "seq",
    "kind",
    "conversation_key",
    "recorded_at",
    "occurred_at",
    "entry",
    "leaf_hash",
)


def insert_entries(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Append log rows, as tuples in ``ENTRY_COLUMNS`` order."""
    bulk_insert(conn, log_entries, ENTRY_COLUMNS, rows)


def insert_nodes(conn: Connection, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store newly closed complete-subtree hashes as (level, idx, hash)."""
    bulk_insert(conn, merkle_nodes, ("level", "idx", "hash"), nodes)


def _insert_dicts(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        columns = [column.name for column in table.columns]
        bulk_insert(conn, table, columns, [tuple(row[c] for c in columns) for row in rows])


def insert_checkpoint(conn: Connection, checkpoint: StoredCheckpoint) -> None:
    """Store a signed checkpoint."""
    conn.execute(
        checkpoints.insert(),
        {
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash,
            "created_at": checkpoint.created_at,
            "key_id": checkpoint.key_id,
            "note": checkpoint.note,
        },
    )


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(
        tree_size=int(row.tree_size),
        root_hash=bytes(row.root_hash),
        created_at=row.created_at,
        key_id=row.key_id,
        note=row.note,
    )


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    """The checkpoint of the largest tree."""
    row = conn.execute(
        select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    """The checkpoint for exactly ``size`` records, if one was signed."""
    row = conn.execute(select(checkpoints).where(checkpoints.c.tree_size == size)).first()
    return None if row is None else _checkpoint(row)


def iter_checkpoints(conn: Connection) -> Iterator[StoredCheckpoint]:
    """Every checkpoint, smallest tree first."""
    for row in conn.execute(select(checkpoints).order_by(checkpoints.c.tree_size)):
        yield _checkpoint(row)


def insert_signing_key(
    conn: Connection, *, key_id: str, name: str, verifier_key: str, created_at: str
) -> None:
    """Register a signing key's public half."""
    conn.execute(
        signing_keys.insert(),
        {"key_id": key_id, "name": name, "verifier_key": verifier_key, "created_at": created_at},
    )


def signing_key_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every registered signing key, oldest first (the last is the active one)."""
    rows = conn.execute(
        select(signing_keys).order_by(signing_keys.c.created_at, signing_keys.c.key_id)
    )
    return [dict(row._mapping) for row in rows]


def entry_rows(conn: Connection, start: int, stop: int, *, full: bool) -> list[tuple[Any, ...]]:
    """Plain tuples (seq, entry, leaf_hash[, kind, conversation_key, recorded_at, occurred_at])
    for seq in [start, stop), in order: the verifier's bulk read."""
    rows = _entry_range(conn, start, stop, full=full)
    return [(row[0], bytes(row[1]), bytes(row[2]), *row[3:]) for row in rows]


def entry_columns(conn: Connection, start: int, stop: int, *, full: bool) -> list[tuple[Any, ...]]:
    """The columns of :func:`entry_rows` (seqs, entries, leaf hashes[, kinds, ...]), each a
    tuple in seq order, or ``[]`` when no seq is in [start, stop): the verifier's bulk read,
    transposed in C, with no Python work per row (both drivers return ``bytes`` for blobs)."""
    return list(zip(*_entry_range(conn, start, stop, full=full), strict=True))


def _entry_range(conn: Connection, start: int, stop: int, *, full: bool) -> list[tuple[Any, ...]]:
    """The driver's rows of the log's columns for seq in [start, stop), in seq order."""
    columns = "seq, entry, leaf_hash"
    if full:
        columns += ", kind, conversation_key, recorded_at, occurred_at"
    return _driver_rows(
        conn,
        f"SELECT {columns} FROM {log_entries.name} WHERE seq >= %s AND seq < %s ORDER BY seq",
        (start, stop),
    )


def node_level_range(conn: Connection, level: int, start: int, stop: int) -> list[bytes]:
    """Stored hashes at ``level`` with index in [start, stop), in index order."""
    rows = _driver_rows(
        conn,
        f"SELECT hash FROM {merkle_nodes.name} WHERE level = %s AND idx >= %s AND idx < %s "
        "ORDER BY idx",
        (level, start, stop),
    )
    return list(next(zip(*rows, strict=True), ()))  # the one column, transposed in C


def node_count(conn: Connection) -> int:
    """Number of stored inner nodes."""
    return int(conn.execute(select(func.count()).select_from(merkle_nodes)).scalar() or 0)


def selected_seqs(
    conn: Connection,
    *,
    conversation_keys: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    kinds: Sequence[str] = (),
) -> list[int]:
    """Seqs of records matching an export scope (all given filters must hold)."""
    query = select(log_entries.c.seq).order_by(log_entries.c.seq)
    if conversation_keys:
        query = query.where(log_entries.c.conversation_key.in_(list(conversation_keys)))
    if since is not None:
        query = query.where(log_entries.c.occurred_at >= since)
    if until is not None:
        query = query.where(log_entries.c.occurred_at < until)
    if kinds:
        query = query.where(log_entries.c.kind.in_(list(kinds)))
    return [int(seq) for (seq,) in conn.execute(query)]


_ENTRY_COLUMNS = (
    log_entries.c.seq,
    log_entries.c.kind,
    log_entries.c.conversation_key,
    log_entries.c.recorded_at,
    log_entries.c.occurred_at,
    log_entries.c.entry,
    log_entries.c.leaf_hash,
)


def _stored_entries(rows: Iterable[tuple[Any, ...]]) -> list[StoredEntry]:
    """Rows of :data:`_ENTRY_COLUMNS` as entries (positional: exports map 100,000s of rows)."""
    return [
        StoredEntry(int(seq), kind, key, recorded, occurred, bytes(entry), bytes(leaf))
        for seq, kind, key, recorded, occurred, entry, leaf in rows
    ]


def entries_by_seq(conn: Connection, seqs: Sequence[int]) -> list[StoredEntry]:
    """The log rows with the given seqs, in seq order."""
    found: list[StoredEntry] = []
    for start in range(0, len(seqs), CHUNK):
        part = list(seqs[start : start + CHUNK])
        rows = conn.execute(
            select(*_ENTRY_COLUMNS).where(log_entries.c.seq.in_(part)).order_by(log_entries.c.seq)
        )
        found.extend(_stored_entries(rows.tuples().all()))
    return found


# --- projections ------------------------------------------------------------------------


def conversation_rows(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Stored conversation rows for ``keys``."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(select(conversations).where(conversations.c.conversation_key.in_(part)))
        found.extend(dict(row._mapping) for row in rows)
    return found


def message_rows(conn: Connection, keys: Sequence[str]) -> list[tuple[str, int, str, str, str]]:
    """(conversation, seq, kind, time, text) of every message and note of ``keys``, in seq
    order within each conversation (the ``messages`` table: text as the log reads now)."""
    found: list[tuple[str, int, str, str, str]] = []
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        query = (
            select(
                messages.c.conversation_key,
                messages.c.seq,
                messages.c.kind,
                messages.c.at,
                messages.c.text,
            )
            .where(messages.c.conversation_key.in_(part))
            .order_by(messages.c.conversation_key, messages.c.seq)
        )
        rows = conn.execute(query).tuples().all()  # one fetch, not one per row
        found.extend((k, int(seq), kind, at, text) for k, seq, kind, at, text in rows)
    return found


def participant_rows(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Stored participant rows of the conversations ``keys``."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(select(participants).where(participants.c.conversation_key.in_(part)))
        found.extend(dict(row._mapping) for row in rows)
    return found


def known_event_keys(conn: Connection, keys: Sequence[str]) -> set[tuple[str, str]]:
    """(conversation_key, event_key) pairs already recorded for the conversations ``keys``."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(
            select(conversation_events.c.conversation_key, conversation_events.c.event_key).where(
                conversation_events.c.conversation_key.in_(part)
            )
        )
        found.update((k, e) for k, e in rows)
    return found


def write_projection(
    conn: Connection,
    *,
    new_conversations: Sequence[Mapping[str, Any]],
    changed_conversations: Sequence[Mapping[str, Any]],
    new_participants: Sequence[Mapping[str, Any]],
    new_events: Sequence[Mapping[str, Any]],
    new_messages: Sequence[Mapping[str, Any]],
) -> None:
    """Insert and update projection rows produced by an append."""
    _insert_dicts(conn, conversations, new_conversations)
    _insert_dicts(conn, participants, new_participants)
    staff_store.remember_staff(conn, new_participants)
    for row in changed_conversations:
        conn.execute(
            conversations.update()
            .where(conversations.c.conversation_key == row["conversation_key"])
            .values(
                last_seq=row["last_seq"],
                event_count=row["event_count"],
                first_event_at=row["first_event_at"],
                last_event_at=row["last_event_at"],
            )
        )
    _insert_dicts(conn, conversation_events, new_events)
    _insert_dicts(conn, messages, new_messages)


def all_rows(conn: Connection, table_name: str) -> Iterator[dict[str, Any]]:
    """Every row of a table rebuilt from the log (a registered projection), in primary-key order."""
    table = metadata.tables[table_name]
    order = list(table.primary_key.columns)
    for row in conn.execute(select(table).order_by(*order)):
        yield dict(row._mapping)


def conversation_keys_matching(conn: Connection, keys: Sequence[str]) -> list[str]:
    """Which of ``keys`` are known conversations."""
    return [row["conversation_key"] for row in conversation_rows(conn, keys)]


def conversation_records(
    conn: Connection, keys: Sequence[str]
) -> dict[str, list[tuple[int, str, bytes]]]:
    """Every record (seq, kind, entry bytes) of the conversations ``keys``, in seq order."""
    found: dict[str, list[tuple[int, str, bytes]]] = {key: [] for key in keys}
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        result = conn.execute(
            select(
                log_entries.c.conversation_key,
                log_entries.c.seq,
                log_entries.c.kind,
                log_entries.c.entry,
            )
            .where(log_entries.c.conversation_key.in_(part))
            .order_by(log_entries.c.conversation_key, log_entries.c.seq)
        )
        for key, seq, kind, entry in result.tuples():
            found[key].append((int(seq), kind, bytes(entry)))
    return found


def conversation_count(conn: Connection) -> int:
    """How many conversations the log holds."""
    return int(conn.execute(select(func.count()).select_from(conversations)).scalar() or 0)


def conversation_keys(
    conn: Connection, *, after: str | None = None, limit: int = 1000
) -> list[str]:
    """Conversation keys in key order, a page at a time (keyset pagination)."""
    query = select(conversations.c.conversation_key).order_by(conversations.c.conversation_key)
    if after is not None:
        query = query.where(conversations.c.conversation_key > after)
    return [key for (key,) in conn.execute(query.limit(limit)).tuples()]


def node_hashes_by_level(conn: Connection, size: int) -> list[dict[int, bytes]]:
    """Every complete-subtree hash of the tree of ``size`` leaves: ``[level][index] -> hash``.

    Level 0 is the leaf hashes. Read in two range scans, for proofs of a large share of the
    tree (whole-period exports).
    """
    levels: list[dict[int, bytes]] = [{} for _ in range(max(size, 1).bit_length())]
    rows = conn.execute(
        select(log_entries.c.seq, log_entries.c.leaf_hash).where(log_entries.c.seq < size)
    )
    levels[0] = {int(seq): bytes(digest) for seq, digest in rows.tuples().all()}
    rows = conn.execute(select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash))
    for level, idx, digest in rows.tuples().all():
        if (idx + 1) << level <= size:  # only subtrees complete within this tree
            levels[level][int(idx)] = bytes(digest)
    return levels


def entry_bytes_in_range(conn: Connection, start: int, stop: int) -> dict[int, bytes]:
    """The exact leaf bytes of the records with seq in [start, stop), by seq (bulk exports)."""
    rows = conn.execute(
        select(log_entries.c.seq, log_entries.c.entry).where(
            and_(log_entries.c.seq >= start, log_entries.c.seq < stop)
        )
    )
    return {int(seq): bytes(entry) for seq, entry in rows.tuples().all()}


def conversation_last_seqs(
    conn: Connection,
    *,
    keys: Sequence[str] | None = None,
    after: str | None = None,
    limit: int = 1000,
) -> list[tuple[str, int]]:
    """(conversation key, last event seq) in key order: of ``keys`` (those known), or a page
    of every conversation after ``after`` (keyset pagination)."""
    query = select(conversations.c.conversation_key, conversations.c.last_seq)
    if keys is not None:
        found: dict[str, int] = {}
        for start in range(0, len(keys), CHUNK):
            part = list(keys[start : start + CHUNK])
            rows = conn.execute(query.where(conversations.c.conversation_key.in_(part)))
            found.update((key, int(seq)) for key, seq in rows.tuples())
        return [(key, found[key]) for key in keys if key in found]
    query = query.order_by(conversations.c.conversation_key)
    if after is not None:
        query = query.where(conversations.c.conversation_key > after)
    return [(key, int(seq)) for key, seq in conn.execute(query.limit(limit)).tuples()]
