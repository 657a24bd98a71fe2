"""Tables of accounts: staff users and failed sign-ins (operational state, not in the log)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, UniqueConstraint

from auditkit.db.metadata import metadata

# --- accounts ------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("password_hash", String(200), nullable=False),
    # The user's own id in the messaging platform, when they also handle conversations:
    # nobody reviews a conversation they took part in.
    Column("participant_id", String(200), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32), nullable=True),
    # Part of every session's id: raising it ends every session of the user at their next
    # request (sign-out, disable, password change).
    Column("session_generation", Integer, nullable=False, server_default="0"),
    UniqueConstraint("username", name="uq_users_username"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Column("at", String(32), nullable=False),
)
Index("ix_login_failures_username", login_failures.c.username, login_failures.c.at)
Index("ix_login_failures_remote_addr", login_failures.c.remote_addr, login_failures.c.at)
