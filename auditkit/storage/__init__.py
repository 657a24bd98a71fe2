"""Persistence: SQLAlchemy tables, engines, append-only guards and row mapping."""
