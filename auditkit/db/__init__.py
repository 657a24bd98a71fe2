"""The database core: engines, transactions, append-only guards, the one MetaData and the schema.

Features take a ``Connection`` from ``read_transaction`` / ``write_transaction`` and pass it to
their own store; only stores and tables build SQL. ``Connection`` and ``Engine`` are re-exported
here so services can name them in signatures without importing SQLAlchemy.
"""

from sqlalchemy import Connection, Engine

from auditkit.db.engine import (
    make_engine,
    operational_transaction,
    read_transaction,
    write_transaction,
)

__all__ = [
    "Connection",
    "Engine",
    "make_engine",
    "operational_transaction",
    "read_transaction",
    "write_transaction",
]
