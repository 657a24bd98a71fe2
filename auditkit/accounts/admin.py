"""What an admin changes about a user besides adding and disabling them: role, the
participant id they are bound to, and a password reset. Every problem is reported at once."""

from __future__ import annotations

from typing import Any

from auditkit.accounts import admin_store
from auditkit.accounts import store as accounts_store
from auditkit.accounts.users import Permission, Role, User, _hasher, _user, password_problems
from auditkit.db import operational_transaction
from auditkit.errors import AccessDenied, InputRefused, NotFound

UNCHANGED = object()


def change_user(
    installation: Any,
    admin: User,
    username: str,
    *,
    role: str | None = None,
    participant_id: str | object | None = UNCHANGED,
    password: str | None = None,
) -> User:
    """Change a user's role, participant binding (``None`` unbinds) or password.

    An admin cannot take away their own admin role (someone must stay able to manage users).
    """
    admin.require(Permission.USER_MANAGE)
    problems: list[str] = []
    values: dict[str, Any] = {}
    if role is not None:
        if role not in set(Role):
            problems.append(f"role {role!r}: one of {', '.join(Role)}")
        else:
            values["role"] = role
    if participant_id is not UNCHANGED:
        bound = (participant_id.strip() or None) if isinstance(participant_id, str) else None
        if bound is not None and len(bound) > 200:
            problems.append("the participant id must be at most 200 characters")
        values["participant_id"] = bound
    if password is not None:
        problems.extend(password_problems(password))
    with operational_transaction(installation.engine) as conn:
        row = accounts_store.user_by_username(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        if row["id"] == admin.id and values.get("role", Role.ADMIN) != Role.ADMIN:
            raise AccessDenied("you cannot take away your own admin role")
        bound_after = values.get("participant_id", row["participant_id"])
        if values.get("role", row["role"]) == Role.AGENT and not bound_after:
            problems.append("an agent needs a participant id: the id their conversations name")
        if problems:
            raise InputRefused(problems)
        if password is not None:
            values["password_hash"] = _hasher().hash(password)
        if values:
            admin_store.set_user_fields(conn, int(row["id"]), values)
        row = {**row, **{k: v for k, v in values.items() if k != "password_hash"}}
    return _user(row)
