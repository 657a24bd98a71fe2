"""The writes behind the users screen: a user's role, participant binding and password."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from auditkit.accounts.tables import users


def set_user_fields(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    """Change some of a user's columns (role, participant_id, password_hash)."""
    conn.execute(update(users).where(users.c.id == user_id).values(**values))
