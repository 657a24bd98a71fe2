"""Inclusion and consistency proofs against signed checkpoints, read in O(log n) node fetches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger import merkle
from auditkit.ledger import store as ledger_store
from auditkit.ledger.installation import Installation


@dataclass(frozen=True)
class InclusionProof:
    """Proof that the record ``seq`` (its exact ``entry`` bytes) is in the tree of ``tree_size``."""

    seq: int
    tree_size: int
    entry: bytes
    leaf_hash: bytes
    root_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True)
class ConsistencyProof:
    """Proof that the tree of ``size2`` extends the tree of ``size1``."""

    size1: int
    size2: int
    root1: bytes
    root2: bytes
    proof: tuple[bytes, ...]


def _checkpoint(conn: Connection, size: int | None) -> ledger_store.StoredCheckpoint:
    stored = (
        ledger_store.latest_checkpoint(conn)
        if size is None
        else ledger_store.checkpoint_at(conn, size)
    )
    if stored is None:
        what = (
            "no checkpoint has been signed yet" if size is None else f"no checkpoint at size {size}"
        )
        raise NotFound(what)
    return stored


def latest_checkpoint_note(installation: Installation) -> str:
    """The newest signed checkpoint note."""
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        return _checkpoint(conn, None).note


def inclusion_proofs(
    conn: Connection, seqs: Sequence[int], checkpoint: ledger_store.StoredCheckpoint
) -> list[InclusionProof]:
    """Proofs for several records against one checkpoint, fetching all nodes in few queries."""
    size = checkpoint.tree_size
    for seq in seqs:
        if not 0 <= seq < size:
            raise NotFound(f"seq {seq} is not in the checkpointed tree of size {size}")
    if len(seqs) * 8 >= size:
        # A large share of the tree (a whole-period export): reading every node level by
        # level is far cheaper than IN-lists of scattered nodes, and the leaf hashes are
        # level 0 of what was read.
        levels = ledger_store.node_hashes_by_level(conn, size)
        paths = merkle.build_inclusion_proofs_by_level(seqs, size, levels)
        entries = ledger_store.entry_bytes_in_range(conn, min(seqs), max(seqs) + 1)
        leaves = levels[0]
    else:
        hashes = ledger_store.node_hashes(conn, merkle.inclusion_proofs_nodes(seqs, size))
        paths = merkle.build_inclusion_proofs(seqs, size, hashes)
        stored = ledger_store.entries_by_seq(conn, list(seqs))
        entries = {e.seq: e.entry for e in stored}
        leaves = {e.seq: e.leaf_hash for e in stored}
    root, note = checkpoint.root_hash, checkpoint.note
    proofs = [
        InclusionProof(
            seq=seq,
            tree_size=size,
            entry=entries[seq],
            leaf_hash=leaves[seq],
            root_hash=root,
            proof=tuple(proof),
            checkpoint=note,
        )
        for seq, proof in zip(seqs, paths, strict=True)
    ]
    return proofs


def prove_inclusion(
    installation: Installation, seq: int, *, tree_size: int | None = None
) -> InclusionProof:
    """Inclusion proof for ``seq`` against the latest (or the given) checkpoint; self-checked."""
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        checkpoint = _checkpoint(conn, tree_size)
        (proof,) = inclusion_proofs(conn, [seq], checkpoint)
    merkle.verify_inclusion(
        merkle.leaf_hash(proof.entry), seq, proof.tree_size, list(proof.proof), proof.root_hash
    )
    return proof


def prove_consistency(
    installation: Installation, size1: int, size2: int | None = None
) -> ConsistencyProof:
    """Consistency proof between two signed checkpoints (``size2`` defaults to the latest)."""
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        first = _checkpoint(conn, size1)
        second = _checkpoint(conn, size2)
        plan = merkle.consistency_proof_nodes(first.tree_size, second.tree_size)
        proof = merkle.build_proof(plan, ledger_store.node_hashes(conn, plan.nodes))
    merkle.verify_consistency(
        first.tree_size, second.tree_size, proof, first.root_hash, second.root_hash
    )
    return ConsistencyProof(
        size1=first.tree_size,
        size2=second.tree_size,
        root1=first.root_hash,
        root2=second.root_hash,
        proof=tuple(proof),
    )
