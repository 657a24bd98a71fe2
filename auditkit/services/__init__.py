"""Use cases (init, ingest, verify, prove, export): each owns its transactions."""
