"""Alembic migrations: the only way auditkit's schema comes to exist."""
