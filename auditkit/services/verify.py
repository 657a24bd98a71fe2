"""``auditkit verify``: recompute the tree from stored bytes and check every signature and projection."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from auditkit.errors import CheckpointError, TamperDetected
from auditkit.ledger import merkle
from auditkit.ledger.checkpoint import Verifier, parse_verifier_key, verify_checkpoint
from auditkit.ledger.projection import Projection
from auditkit.ledger.records import decode_entry
from auditkit.services.installation import Installation, trusted_keys_path
from auditkit.storage import ledger_store
from auditkit.storage.db import read_transaction
from auditkit.storage.guards import missing_guards

CHUNK = 20000


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
) -> VerifyReport:
    """Check the whole log; problems are returned in the report, never raised."""
    installation.require_schema()
    started = time.perf_counter()
    report = VerifyReport()
    with read_transaction(installation.engine) as conn:
        for name in missing_guards(conn):
            report.problems.append(
                Problem(None, f"append-only trigger {name} is missing: the table is unguarded")
            )
        verifiers = _verifiers(installation, conn, trusted, report)
        checkpoints = _checked_checkpoints(installation, conn, verifiers, report)
        report.checkpoints = len(checkpoints)
        projection = Projection() if check_projections else None
        _check_tree(conn, checkpoints, projection, report, progress)
        if projection is not None and report.ok:
            _check_projections(conn, projection, report)
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


def _check_tree(
    conn: Connection,
    roots: dict[int, bytes],
    projection: Projection | None,
    report: VerifyReport,
    progress: Callable[[int], None] | None,
) -> None:
    tree = merkle.CompactRange(0, [])
    expected_seq = 0
    signed_size = 0  # records below this are covered by a verified root
    pending: list[tuple[int, int, bytes]] = []
    try:
        for stored in ledger_store.iter_entries(conn, batch=CHUNK):
            if stored.seq != expected_seq:
                raise TamperDetected(
                    seq=expected_seq, reason=f"record missing: next stored seq is {stored.seq}"
                )
            leaf = merkle.leaf_hash(stored.entry)
            if leaf != stored.leaf_hash:
                raise TamperDetected(seq=stored.seq, reason="stored bytes do not match leaf hash")
            if projection is not None:
                record = decode_entry(stored.entry, expected_seq=stored.seq)
                if (
                    record.seq != stored.seq
                    or record.kind != stored.kind
                    or record.conversation != stored.conversation_key
                    or record.recorded_at != stored.recorded_at
                    or record.occurred_at != stored.occurred_at
                ):
                    raise TamperDetected(
                        seq=stored.seq, reason="row columns disagree with the record bytes"
                    )
                projection.apply(record)
            for node, digest in tree.append(leaf):
                pending.append((node.level, node.index, digest))
            expected_seq += 1
            if tree.size in roots:
                if tree.root() != roots[tree.size]:
                    raise TamperDetected(
                        seq=signed_size,
                        reason=(
                            f"a record in seq {signed_size}..{tree.size - 1} was altered: the root "
                            f"of the first {tree.size} records differs from its signed checkpoint"
                        ),
                    )
                signed_size = tree.size
            if len(pending) >= CHUNK:
                report.nodes_checked += _compare_nodes(conn, pending)
                pending = []
            if progress is not None and expected_seq % CHUNK == 0:
                progress(CHUNK)
        report.nodes_checked += _compare_nodes(conn, pending)
    except TamperDetected as exc:
        report.problems.append(Problem(exc.seq, exc.reason))
        return
    report.tree_size = tree.size
    if ledger_store.node_count(conn) != report.nodes_checked:
        report.problems.append(Problem(None, "merkle_nodes holds nodes that no record produced"))
    if not roots and tree.size:
        report.problems.append(Problem(tree.size - 1, "records exist but no checkpoint signs them"))
    elif roots and max(roots) != tree.size:
        last = max(roots)
        if last > tree.size:
            report.problems.append(
                Problem(tree.size, f"a checkpoint signs {last} records but only {tree.size} exist")
            )
        else:
            report.problems.append(
                Problem(last, f"records from seq {last} on are not covered by a signed checkpoint")
            )


def _compare_nodes(conn: Connection, computed: list[tuple[int, int, bytes]]) -> int:
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, idx, digest in computed:
        by_level.setdefault(level, []).append((idx, digest))
    for level, nodes in by_level.items():
        nodes.sort()
        stored = dict(ledger_store.iter_nodes(conn, level, nodes[0][0], nodes[-1][0] + 1))
        for idx, digest in nodes:
            if stored.get(idx) != digest:
                first_leaf = idx << level
                raise TamperDetected(
                    seq=first_leaf,
                    reason=f"stored Merkle node (level {level}, index {idx}) is wrong or missing",
                )
    return len(computed)


def _check_projections(conn: Connection, projection: Projection, report: VerifyReport) -> None:
    expected: dict[str, Iterator[dict[str, Any]]] = {
        "conversations": iter(sorted(projection.conversations.values(), key=_pk("conversations"))),
        "participants": iter(sorted(projection.participants.values(), key=_pk("participants"))),
        "conversation_events": iter(sorted(projection.new_events, key=_pk("conversation_events"))),
        "messages": iter(projection.new_messages),
    }
    for table, rows in expected.items():
        mismatch = _first_difference(
            rows, iter(sorted(ledger_store.all_rows(conn, table), key=_pk(table))), table
        )
        if mismatch is not None:
            report.problems.append(mismatch)
            return


def _pk(table: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    keys = {
        "conversations": ("conversation_key",),
        "participants": ("conversation_key", "participant_id"),
        "conversation_events": ("conversation_key", "event_key"),
        "messages": ("seq",),
    }[table]
    return lambda row: tuple(row[k] for k in keys)


def _first_difference(
    expected: Iterator[dict[str, Any]], actual: Iterator[dict[str, Any]], table: str
) -> Problem | None:
    sentinel: dict[str, Any] = {}
    key = _pk(table)
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
    for name in ("seq", "opened_seq"):
        if name in row:
            return int(row[name])
    return None
