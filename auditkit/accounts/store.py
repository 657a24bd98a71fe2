"""Storage of accounts: users and the sign-in throttle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.sql import Select

from auditkit.accounts.tables import login_failures, users

Row = dict[str, Any]


def _rows(conn: Connection, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _one(conn: Connection, query: Select[Any]) -> Row | None:
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


# --- users ---------------------------------------------------------------------------------


def insert_user(conn: Connection, row: Mapping[str, Any]) -> int:
    """Store a new user; returns its id."""
    result = conn.execute(insert(users).values(**row).returning(users.c.id))
    return int(result.scalar_one())


def user_by_username(conn: Connection, username: str) -> Row | None:
    """The user with this username, or None."""
    return _one(conn, select(users).where(users.c.username == username))


def user_by_id(conn: Connection, user_id: int) -> Row | None:
    """The user with this id, or None."""
    return _one(conn, select(users).where(users.c.id == user_id))


def users_by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    """Users by id."""
    if not ids:
        return {}
    return {row["id"]: row for row in _rows(conn, select(users).where(users.c.id.in_(list(ids))))}


def all_users(conn: Connection) -> list[Row]:
    """Every user, by username."""
    return _rows(conn, select(users).order_by(users.c.username))


def set_user_active(conn: Connection, user_id: int, *, active: bool, at: str | None) -> None:
    """Enable or disable a user."""
    conn.execute(update(users).where(users.c.id == user_id).values(active=active, disabled_at=at))


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash (after a rehash with newer parameters)."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


# --- login throttling ----------------------------------------------------------------------


def record_login_failure(conn: Connection, *, username: str, remote_addr: str, at: str) -> None:
    """Note one failed sign-in."""
    conn.execute(insert(login_failures).values(username=username, remote_addr=remote_addr, at=at))


def login_failures_since(conn: Connection, *, username: str, remote_addr: str, since: str) -> Row:
    """Failed sign-ins since ``since``: count and oldest for the username and for the address."""
    result: Row = {}
    for name, column, value in (
        ("user", login_failures.c.username, username),
        ("addr", login_failures.c.remote_addr, remote_addr),
    ):
        count, oldest = conn.execute(
            select(func.count(), func.min(login_failures.c.at)).where(
                and_(column == value, login_failures.c.at >= since)
            )
        ).one()
        result[f"{name}_count"] = int(count)
        result[f"{name}_oldest"] = oldest
    return result


def clear_login_failures(conn: Connection, *, username: str, before: str) -> None:
    """Forget the username's failures (after a success) and everyone's older than ``before``."""
    conn.execute(
        delete(login_failures).where(
            or_(login_failures.c.username == username, login_failures.c.at < before)
        )
    )
