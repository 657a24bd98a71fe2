"""Query tables rebuilt from the log: the replay of conversation records, the registry of every
feature's projections (which verify walks), and helpers for per-conversation derived tables.
"""
