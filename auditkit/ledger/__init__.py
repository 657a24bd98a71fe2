"""The append-only ledger: Merkle tree hashing, proofs and signed checkpoints."""
