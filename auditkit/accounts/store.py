"""Storage of accounts: users and the sign-in throttle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.sql import Select

from auditkit.accounts.tables import login_failures, users
from auditkit.db.engine import SCHEMA_LOCK_SQL

Row = dict[str, Any]

# An arbitrary constant: the PostgreSQL advisory lock that serialises sign-in attempts'
# count-then-record (SQLite serialises them with BEGIN IMMEDIATE), per schema like the writer lock.
THROTTLE_LOCK_KEY = 0x7369676E  # "sign"


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


def next_session_generation(conn: Connection, user_id: int) -> None:
    """End every session of the user: their session ids carry the old generation."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(session_generation=users.c.session_generation + 1)
    )


# --- login throttling ----------------------------------------------------------------------


def lock_sign_in_throttle(conn: Connection) -> None:
    """Hold the throttle's lock until the transaction ends, so counts and records never race."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(SCHEMA_LOCK_SQL), {"key": THROTTLE_LOCK_KEY})


def record_login_failure(conn: Connection, *, username: str, remote_addr: str, at: str) -> int:
    """Note one sign-in attempt as failed (before it is checked); returns its id."""
    result = conn.execute(
        insert(login_failures)
        .values(username=username, remote_addr=remote_addr, at=at)
        .returning(login_failures.c.id)
    )
    return int(result.scalar_one())


def forget_login_failure(conn: Connection, failure_id: int) -> None:
    """Withdraw an attempt counted in advance once it turned out to succeed."""
    conn.execute(delete(login_failures).where(login_failures.c.id == failure_id))


def login_failures_since(conn: Connection, *, username: str, remote_addr: str, since: str) -> Row:
    """Failed sign-ins since ``since``: count and oldest for the (username, address) pair
    (``pair_``) and for the address across usernames (``addr_``)."""
    result: Row = {}
    for name, condition in (
        (
            "pair",
            and_(
                login_failures.c.username == username, login_failures.c.remote_addr == remote_addr
            ),
        ),
        ("addr", login_failures.c.remote_addr == remote_addr),
    ):
        count, oldest = conn.execute(
            select(func.count(), func.min(login_failures.c.at)).where(
                and_(condition, login_failures.c.at >= since)
            )
        ).one()
        result[f"{name}_count"] = int(count)
        result[f"{name}_oldest"] = oldest
    return result


def clear_login_failures(conn: Connection, *, username: str, remote_addr: str, before: str) -> None:
    """Forget the pair's failures (after a success there) and everyone's older than ``before``."""
    conn.execute(
        delete(login_failures).where(
            or_(
                and_(
                    login_failures.c.username == username,
                    login_failures.c.remote_addr == remote_addr,
                ),
                login_failures.c.at < before,
            )
        )
    )
