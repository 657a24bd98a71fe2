"""Tile and entry-bundle bytes read from the log (hashes from stored Merkle nodes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound, TamperDetected
from auditkit.ledger import merkle
from auditkit.ledger import store as ledger_store
from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.tiles import TileRef, encode_bundle, parse_tile_path


@dataclass(frozen=True)
class LogResource:
    """One resource of the tiled log: its bytes, media type and whether it never changes."""

    data: bytes
    content_type: str
    immutable: bool


CHECKPOINT_TYPE = "text/plain; charset=utf-8"
TILE_TYPE = "application/octet-stream"


def read_tile(conn: Connection, ref: TileRef, size: int) -> bytes:
    """The bytes of ``ref`` in the tree of ``size`` leaves; NotFound when the tree lacks it."""
    if ref.end_leaf > size:
        raise NotFound(f"{ref.path()} is not part of the tree of size {size}")
    first, stop = ref.first, ref.first + ref.width
    if ref.is_entries:
        rows = ledger_store.entry_rows(conn, first, stop, full=False)
        if [row[0] for row in rows] != list(range(first, stop)):
            raise TamperDetected(seq=first, reason=f"{ref.path()}: records are missing")
        return encode_bundle([row[1] for row in rows], first_seq=first)
    if ref.level == 0:  # leaf hashes only: the entries are not read
        leaves = ledger_store.node_hashes(conn, [(0, seq) for seq in range(first, stop)])
        if len(leaves) != ref.width:
            raise TamperDetected(seq=first, reason=f"{ref.path()}: records are missing")
        return b"".join(leaves[(0, seq)] for seq in range(first, stop))
    hashes = ledger_store.node_level_range(conn, ref.node_level, first, stop)
    if len(hashes) != ref.width:
        raise TamperDetected(
            seq=first << ref.node_level,
            reason=f"{ref.path()}: stored Merkle nodes at level {ref.node_level} are missing",
        )
    return b"".join(hashes)


def latest_size_and_note(conn: Connection) -> tuple[int, str]:
    """The newest signed checkpoint's tree size and note; NotFound before the first."""
    stored = ledger_store.latest_checkpoint(conn)
    if stored is None:
        raise NotFound("no checkpoint has been signed yet")
    return stored.tree_size, stored.note


def log_resource(
    installation: Installation, path: str, *, cosigned_note: str | None = None
) -> LogResource:
    """``checkpoint``, a hash tile or an entry bundle, as a tiled-log server answers it.

    ``cosigned_note`` replaces the stored note with one carrying witness cosignatures.
    Only what the newest signed checkpoint covers is served.
    """
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        size, note = latest_size_and_note(conn)
        if path == "checkpoint":
            return LogResource((cosigned_note or note).encode("utf-8"), CHECKPOINT_TYPE, False)
        ref = parse_tile_path(path)
        return LogResource(read_tile(conn, ref, size), TILE_TYPE, True)


def root_at(conn: Connection, size: int) -> bytes:
    """The root hash of the log's first ``size`` records, from the stored Merkle nodes."""
    root = roots_at(conn, [size])[size]
    if isinstance(root, TamperDetected):
        raise root
    return root


def roots_at(conn: Connection, sizes: Iterable[int]) -> dict[int, bytes | TamperDetected]:
    """The root hash of the log's first ``size`` records for each size, with the nodes of
    every size read together (a checkpoint file of hundreds of notes is one read, not
    hundreds); a size whose nodes are missing maps to the problem instead."""
    plans = {size: merkle.root_plan(size) for size in set(sizes)}
    hashes = ledger_store.node_hashes(
        conn, {(n.level, n.index) for plan in plans.values() for n in plan.nodes}
    )
    roots: dict[int, bytes | TamperDetected] = {}
    for size, plan in plans.items():
        missing = [n for n in plan.nodes if (n.level, n.index) not in hashes]
        roots[size] = (
            TamperDetected(
                seq=missing[0].begin,
                reason=f"the log has no Merkle node for the first {size} records",
            )
            if missing
            else merkle.root_from(plan, hashes)
        )
    return roots
