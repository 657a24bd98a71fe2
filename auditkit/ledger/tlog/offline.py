"""tlog-proof files for records of this log, against its signed (and cosigned) checkpoints."""

from __future__ import annotations

from pathlib import Path

from auditkit.ledger.installation import Installation
from auditkit.ledger.proofs import InclusionProof, prove_inclusion
from auditkit.ledger.tlog.proof_file import EXTENSION, format_tlog_proof
from auditkit.ledger.tlog.witnesses import cosigned_note


def tlog_proof_text(proof: InclusionProof, note: str | None = None) -> str:
    """The tlog-proof of an inclusion proof (``note``: the checkpoint with cosignatures)."""
    return format_tlog_proof(proof.seq, proof.proof, note or proof.checkpoint)


def prove_as_tlog_proof(
    installation: Installation, seq: int, *, tree_size: int | None = None
) -> tuple[str, bytes]:
    """The tlog-proof text of record ``seq`` and the record's exact leaf bytes."""
    proof = prove_inclusion(installation, seq, tree_size=tree_size)
    return tlog_proof_text(proof, cosigned_note(installation, proof.checkpoint)), proof.entry


def write_tlog_proof(
    installation: Installation, seq: int, directory: Path, *, tree_size: int | None = None
) -> tuple[Path, Path]:
    """Write ``<seq>.tlog-proof`` and ``<seq>.entry`` (the leaf bytes) into ``directory``."""
    text, entry = prove_as_tlog_proof(installation, seq, tree_size=tree_size)
    directory.mkdir(parents=True, exist_ok=True)
    proof_path = directory / f"{seq}{EXTENSION}"
    entry_path = directory / f"{seq}.entry"
    proof_path.write_text(text, encoding="utf-8")
    entry_path.write_bytes(entry)
    return proof_path, entry_path
