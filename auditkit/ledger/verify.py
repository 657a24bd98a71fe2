"""``auditkit verify``: recompute the tree from stored bytes and check every signature and projection."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.db.guards import missing_guards
from auditkit.errors import CheckpointError, TamperDetected
from auditkit.ledger import merkle
from auditkit.ledger import store as ledger_store
from auditkit.ledger.checkpoint import Verifier, parse_verifier_key, verify_checkpoint
from auditkit.ledger.installation import Installation, trusted_keys_path
from auditkit.ledger.projections.registry import (
    ProjectionSource,
    primary_key,
    registered_projections,
)
from auditkit.ledger.records import Record, decode_entry
from auditkit.ledger.sealing.cipher import SealingError, sealed_subject
from auditkit.ledger.sealing.data_keys import DataKeys, unseal_mapping
from auditkit.ledger.tables import APPEND_ONLY_TABLES
from auditkit.ledger.tlog.outside import check_outside


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong; ``seq`` is None when it is not about one record."""

    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "ledger"
        return f"{where}: {self.reason}"


@dataclass
class VerifyReport:
    """The outcome of a verification run."""

    tree_size: int = 0
    checkpoints: int = 0
    nodes_checked: int = 0
    projections_checked: bool = False
    compared_with: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.problems


def read_trusted_keys(path: Path) -> list[Verifier]:
    """Parse a file of verifier keys, one per line (``#`` comments allowed)."""
    keys: list[Verifier] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse_verifier_key(line))
        except CheckpointError as exc:
            raise CheckpointError(f"{path}:{number}: {exc}") from None
    return keys


def verify_ledger(
    installation: Installation,
    *,
    trusted: Sequence[Verifier] | None = None,
    check_projections: bool = True,
    progress: Callable[[int], None] | None = None,
    checkpoint_files: Sequence[Path] = (),
    tile_dirs: Sequence[Path] | None = None,
    ask_witnesses: bool = False,
) -> VerifyReport:
    """Check the whole log; problems are returned in the report, never raised.

    Besides the database, the checkpoint file under AUDITKIT_HOME, ``checkpoint_files``
    (checkpoints an auditor kept) and the tiles directories (those ``tiles write`` filled,
    or ``tile_dirs``) are compared with the log; with ``ask_witnesses``, so is the newest
    checkpoint each configured witness cosigned (over the network).
    """
    installation.require_schema()
    started = time.perf_counter()
    report = VerifyReport()
    with read_transaction(installation.engine) as conn:
        for name in missing_guards(conn, APPEND_ONLY_TABLES):
            report.problems.append(
                Problem(None, f"append-only trigger {name} is missing: the table is unguarded")
            )
        verifiers = _verifiers(installation, conn, trusted, report)
        checkpoints = _checked_checkpoints(installation, conn, verifiers, report)
        report.checkpoints = len(checkpoints)
        rebuilt = Rebuilt(registered_projections()) if check_projections else None
        master = installation.master_key() if check_projections else None
        keys = DataKeys(conn, master) if master is not None else None
        _check_tree(conn, checkpoints, rebuilt, keys, report, progress)
        outside = check_outside(
            installation,
            conn,
            verifiers,
            checkpoint_files=checkpoint_files,
            tile_dirs=tile_dirs,
            ask_witnesses=ask_witnesses,
        )
        report.compared_with = outside.compared
        report.problems += [Problem(None, reason) for reason in outside.problems]
        if rebuilt is not None and report.ok:
            _check_projections(conn, rebuilt, report)
            report.projections_checked = True
    report.seconds = time.perf_counter() - started
    return report


def _verifiers(
    installation: Installation,
    conn: Connection,
    trusted: Sequence[Verifier] | None,
    report: VerifyReport,
) -> list[Verifier]:
    stored = [
        parse_verifier_key(row["verifier_key"]) for row in ledger_store.signing_key_rows(conn)
    ]
    if trusted is None:
        path = trusted_keys_path(installation)
        trusted = read_trusted_keys(path) if path.is_file() else stored
    anchors = {v.verifier_key_string() for v in trusted}
    for verifier in stored:
        if verifier.verifier_key_string() not in anchors:
            report.problems.append(
                Problem(None, f"signing key {verifier.key_id:08x} in the database is not trusted")
            )
    return [v for v in stored if v.verifier_key_string() in anchors]


def _checked_checkpoints(
    installation: Installation,
    conn: Connection,
    verifiers: Sequence[Verifier],
    report: VerifyReport,
) -> dict[int, bytes]:
    roots: dict[int, bytes] = {}
    for stored in ledger_store.iter_checkpoints(conn):
        where = f"checkpoint at size {stored.tree_size}"
        try:
            checkpoint = verify_checkpoint(stored.note, verifiers)
        except CheckpointError as exc:
            report.problems.append(Problem(stored.tree_size - 1, f"{where}: {exc}"))
            continue
        if checkpoint.origin != installation.origin:
            report.problems.append(
                Problem(stored.tree_size - 1, f"{where}: origin {checkpoint.origin!r} is not ours")
            )
        if checkpoint.size != stored.tree_size or checkpoint.root_hash != stored.root_hash:
            report.problems.append(
                Problem(stored.tree_size - 1, f"{where}: signed note disagrees with its row")
            )
        roots[checkpoint.size] = checkpoint.root_hash
    return roots


CHUNK_LEVEL = 14
CHUNK = 1 << CHUNK_LEVEL  # leaves per aligned chunk: verified level by level in bulk


class _UpperNodes:
    """Complete subtrees above chunk level, built from chunk roots with a compact range."""

    def __init__(self) -> None:
        self.range = merkle.CompactRange()
        self.computed: dict[merkle.NodeId, bytes] = {}

    def add_chunk_root(self, root: bytes) -> list[tuple[int, int, bytes]]:
        index = self.range.size
        self.computed[merkle.NodeId(CHUNK_LEVEL, index)] = root
        new = [(CHUNK_LEVEL, index, root)]
        for node, digest in self.range.append(root):
            real = merkle.NodeId(node.level + CHUNK_LEVEL, node.index)
            self.computed[real] = digest
            new.append((real.level, real.index, digest))
        return new


class _Chunk(NamedTuple):
    """What one chunk's check reads: its records' columns (:func:`ledger_store.entry_columns`,
    ``[]`` past the end) and the stored nodes of its complete subtrees, level 1 first."""

    columns: list[tuple[Any, ...]]
    stored: list[list[bytes]]

    @property
    def size(self) -> int:
        """How many records the chunk holds."""
        return len(self.columns[0]) if self.columns else 0


def _read_chunk(conn: Connection, start: int, *, full: bool) -> _Chunk:
    """The chunk at ``start``: every read the chunk's check needs but the upper nodes."""
    chunk = _Chunk(ledger_store.entry_columns(conn, start, start + CHUNK, full=full), [])
    count, level = chunk.size, 0
    while count >= 2:
        count, level = count // 2, level + 1
        first = start >> level
        chunk.stored.append(ledger_store.node_level_range(conn, level, first, first + count))
    return chunk


def _check_tree(
    conn: Connection,
    roots: dict[int, bytes],
    rebuilt: Rebuilt | None,
    keys: DataKeys | None,
    report: VerifyReport,
    progress: Callable[[int], None] | None,
) -> None:
    """Recompute leaves and nodes chunk by chunk and compare them with what is stored.

    Each aligned chunk of 2^14 leaves is hashed level by level in bulk
    (``merkle.leaf_hashes``, ``merkle.parent_hashes``) and compared with its stored nodes,
    read with one query per level. The next chunk's records and nodes are read by a second
    thread on the same connection (and snapshot) while this one hashes: the driver waits on
    the database without the GIL, so the reads and the hashing overlap. The connection is
    never used by both threads at once: the read is joined before anything else here
    touches it.
    """
    upper = _UpperNodes()
    size = 0
    signed_size = 0  # records below this are covered by a verified signed root
    full = rebuilt is not None
    with ThreadPoolExecutor(1, thread_name_prefix="verify-read") as reader:
        ahead: Future[_Chunk] | None = None
        try:
            chunk = _read_chunk(conn, size, full=full)
            while chunk.columns:
                count = chunk.size
                if count == CHUNK:
                    ahead = reader.submit(_read_chunk, conn, size + CHUNK, full=full)
                try:
                    levels = _hash_chunk(size, chunk.columns)
                finally:
                    following = ahead.result() if ahead is not None else _Chunk([], [])
                    ahead = None
                if rebuilt is not None:  # after the join: unsealing reads data keys
                    _check_records(zip(*chunk.columns, strict=True), rebuilt, keys)
                report.nodes_checked += _compare_levels(size, levels, chunk.stored)
                if count == CHUNK:
                    upper_nodes = upper.add_chunk_root(levels[CHUNK_LEVEL][0])
                    report.nodes_checked += _compare_nodes(conn, upper_nodes[1:])
                for end in sorted(k for k in roots if size < k <= size + count):
                    if _root_at(end, size, levels, upper.computed) != roots[end]:
                        raise TamperDetected(
                            seq=signed_size,
                            reason=(
                                f"a record in seq {signed_size}..{end - 1} was altered: the "
                                f"root of the first {end} records differs from its signed "
                                "checkpoint"
                            ),
                        )
                    signed_size = end
                size += count
                if progress is not None:
                    progress(count)
                chunk = following
        except TamperDetected as exc:
            report.problems.append(Problem(exc.seq, exc.reason))
            return
    report.tree_size = size
    if ledger_store.tree_size(conn) != size:
        report.problems.append(
            Problem(size, f"record missing: seq {size} is absent but later seqs are stored")
        )
    elif ledger_store.node_count(conn) != report.nodes_checked:
        report.problems.append(Problem(None, "merkle_nodes holds nodes that no record produced"))
    if not roots and size:
        report.problems.append(Problem(size - 1, "records exist but no checkpoint signs them"))
    elif roots and max(roots) != size:
        last = max(roots)
        if last > size:
            report.problems.append(
                Problem(size, f"a checkpoint signs {last} records but only {size} exist")
            )
        else:
            report.problems.append(
                Problem(last, f"records from seq {last} on are not covered by a signed checkpoint")
            )


class Rebuilt:
    """What the log says every registered projection's tables hold."""

    def __init__(self, sources: Sequence[ProjectionSource]) -> None:
        self.sources = list(sources)
        self.rebuilders = [source.rebuilder() for source in self.sources]

    def apply(self, record: Record) -> None:
        """Add one record (in seq order) to what the tables should hold."""
        for rebuilder in self.rebuilders:
            rebuilder.apply(record)


def _check_records(rows: Iterable[Sequence[Any]], rebuilt: Rebuilt, keys: DataKeys | None) -> None:
    for seq, entry, _leaf, kind, conversation, recorded_at, occurred_at in rows:
        record = decode_entry(entry, expected_seq=seq)
        if keys is not None and sealed_subject(record.body) is not None:
            try:
                body = unseal_mapping(
                    record.kind, record.body, seq=seq, conversation=record.conversation, keys=keys
                )
            except SealingError as exc:
                raise TamperDetected(seq=seq, reason=str(exc)) from None
            record = dataclasses.replace(record, body=body)
        if (
            record.seq != seq
            or record.kind != kind
            or record.conversation != conversation
            or record.recorded_at != recorded_at
            or record.occurred_at != occurred_at
        ):
            raise TamperDetected(seq=seq, reason="row columns disagree with the record bytes")
        rebuilt.apply(record)


def _hash_chunk(start: int, columns: Sequence[Sequence[Any]]) -> list[list[bytes]]:
    """Check a chunk's seqs and leaf hashes and hash its complete subtrees level by level."""
    seqs, entries, stored_leaves = columns[0], columns[1], columns[2]
    if seqs[-1] != start + len(seqs) - 1 or seqs[0] != start:
        missing = next(start + n for n, seq in enumerate(seqs) if seq != start + n)
        raise TamperDetected(seq=missing, reason="record missing: the seq is not stored")
    leaves = merkle.leaf_hashes(entries)
    if leaves != list(stored_leaves):
        bad = next(n for n, leaf in enumerate(stored_leaves) if leaves[n] != leaf)
        raise TamperDetected(seq=start + bad, reason="stored bytes do not match leaf hash")
    levels = [leaves]
    current = leaves
    while len(current) >= 2:
        current = merkle.parent_hashes(current)
        levels.append(current)
    return levels


def _compare_levels(start: int, levels: list[list[bytes]], stored: list[list[bytes]]) -> int:
    """Compare each computed level with the stored nodes (``stored[level - 1]``); the count."""
    for level in range(1, len(levels)):
        current, have = levels[level], stored[level - 1]
        if have != current:
            first = start >> level
            bad = next(
                (n for n in range(len(current)) if n >= len(have) or have[n] != current[n]),
                len(current),
            )
            raise TamperDetected(
                seq=(first + bad) << level,
                reason=f"stored Merkle node (level {level}, index {first + bad}) is wrong or missing",
            )
    return sum(len(level) for level in levels[1:])


def _root_at(
    size: int,
    chunk_start: int,
    levels: list[list[bytes]],
    upper: dict[merkle.NodeId, bytes],
) -> bytes:
    """Root of the first ``size`` leaves from its peaks: upper nodes or this chunk's levels."""

    class Peaks(dict[merkle.NodeId, bytes]):
        def __missing__(self, node: merkle.NodeId) -> bytes:
            if node.level >= CHUNK_LEVEL and node in upper:
                return upper[node]
            return levels[node.level][node.index - (chunk_start >> node.level)]

    return merkle.root_from(merkle.root_plan(size), Peaks())


def _compare_nodes(conn: Connection, computed: list[tuple[int, int, bytes]]) -> int:
    for level, idx, digest in computed:
        if ledger_store.node_level_range(conn, level, idx, idx + 1) != [digest]:
            raise TamperDetected(
                seq=idx << level,
                reason=f"stored Merkle node (level {level}, index {idx}) is wrong or missing",
            )
    return len(computed)


def _check_projections(conn: Connection, rebuilt: Rebuilt, report: VerifyReport) -> None:
    for source, rebuilder in zip(rebuilt.sources, rebuilt.rebuilders, strict=True):
        expected = rebuilder.rows()
        for table, columns in source.primary_keys.items():
            key = primary_key(columns)
            mismatch = _first_difference(
                iter(sorted(expected.get(table, ()), key=key)),
                iter(sorted(ledger_store.all_rows(conn, table), key=key)),
                table,
                key,
            )
            if mismatch is not None:
                report.problems.append(mismatch)
                return


def _first_difference(
    expected: Iterator[dict[str, Any]],
    actual: Iterator[dict[str, Any]],
    table: str,
    key: Callable[[dict[str, Any]], tuple[Any, ...]],
) -> Problem | None:
    sentinel: dict[str, Any] = {}
    while True:
        want = next(expected, sentinel)
        have = next(actual, sentinel)
        if want is sentinel and have is sentinel:
            return None
        if want is sentinel:
            return Problem(None, f"query table {table}: unexpected row {key(have)}")
        if have is sentinel:
            return Problem(_seq_of(want), f"query table {table}: row {key(want)} is missing")
        normalised = {k: have.get(k) for k in want}
        if normalised != want:
            changed = sorted(k for k in want if normalised[k] != want[k])
            return Problem(
                _seq_of(want),
                f"query table {table}: row {key(want)} differs from the log in {', '.join(changed)}",
            )


def _seq_of(row: dict[str, Any]) -> int | None:
    for name in ("seq", "opened_seq", "review_seq"):
        if name in row:
            return int(row[name])
    return None
