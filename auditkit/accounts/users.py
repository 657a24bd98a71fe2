"""Accounts of the review app: roles and their permissions, argon2 passwords, sign-in throttling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auditkit.accounts import store as accounts_store
from auditkit.db import operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, InputRefused, LoginRefused, LoginThrottled, NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import format_time, parse_time
from auditkit.periods import utc_now

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")

# Sign-in throttling, kept in the database so every web process and host shares it. An
# attempt is counted before its password is checked, under a lock, so parallel attempts
# cannot slip past the limit. The tight limit is per (username, address) pair, so a bad
# actor behind an office NAT or an unconfigured proxy cannot lock everyone out; the address
# has a higher ceiling across usernames (docs/web.md).
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5  # per (username, address) pair
MAX_FAILURES_PER_ADDRESS = 100


class Role(StrEnum):
    """What a person does in the app; each role grants a fixed set of permissions."""

    ADMIN = "admin"
    COMPLIANCE_OFFICER = "compliance_officer"
    QA_REVIEWER = "qa_reviewer"
    COACH = "coach"
    AGENT = "agent"  # bound to a participant id: sees only their own reviews

    @property
    def label(self) -> str:
        """The role as people write it."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.COMPLIANCE_OFFICER: "Compliance officer",
    Role.QA_REVIEWER: "QA reviewer",
    Role.COACH: "Coach",
    Role.AGENT: "Agent",
}


class Permission(StrEnum):
    """One thing a route may require."""

    QUEUE_WORK = "queue.work"  # see and work one's own review assignments
    QUEUE_MANAGE = "queue.manage"  # sample conversations, assign and reassign reviews
    CONVERSATION_READ = "conversation.read"  # read conversations, redacted
    PII_REVEAL = "pii.reveal"  # reveal clear text, with a reason, logged
    REVIEW_WRITE = "review.write"  # score, comment, mark coaching examples, submit
    REVIEW_READ = "review.read"  # read submitted reviews and a conversation's history
    AGENT_SCORES_READ = "agent_scores.read"  # see each agent's scores
    COACHING_READ = "coaching.read"  # browse coaching examples
    RUBRIC_READ = "rubric.read"  # read rubrics
    CALIBRATION_MANAGE = "calibration.manage"  # open, baseline and close calibration sessions
    CALIBRATION_WORK = "calibration.work"  # score blind in the sessions one takes part in
    CALIBRATION_READ = "calibration.read"  # see sessions and, once allowed, their agreement
    DISPUTE_OPEN = "dispute.open"  # contest a review with a comment and proposed scores
    DISPUTE_RESOLVE = "dispute.resolve"  # answer disputes of one's own reviews
    DISPUTE_READ = "dispute.read"  # read disputes
    DASHBOARD_READ = "dashboard.read"  # the quality dashboard
    GRADER_CHECK = "grader.check"  # spot-check reviewers' reviews (grade the grader)
    REPORT_AUDIT = "report.audit"  # generate and download audit reports and their export bundles
    EXPORT_CLEAR = "export.clear"  # bundles with clear-text transcripts, with a reason, recorded
    USER_MANAGE = "user.manage"  # add, disable, change role, bind participant, reset password
    HOLD_MANAGE = "hold.manage"  # place, list and remove legal holds
    ERASURE_MANAGE = "erasure.manage"  # request, approve (a second officer), carry out erasure
    OWN_WORK = "own_work"  # an agent's own reviews: read, acknowledge, comment, dispute


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    # An admin is not an agent, and not a compliance officer: erasure is the officers' four-eyes
    # duty, kept apart from whoever manages the accounts (docs/architecture.md).
    Role.ADMIN: frozenset(Permission) - {Permission.OWN_WORK, Permission.ERASURE_MANAGE},
    Role.COMPLIANCE_OFFICER: frozenset(
        {
            Permission.CONVERSATION_READ,
            Permission.PII_REVEAL,
            Permission.REVIEW_READ,
            Permission.AGENT_SCORES_READ,
            Permission.RUBRIC_READ,
            Permission.DISPUTE_READ,
            Permission.DASHBOARD_READ,
            Permission.REPORT_AUDIT,
            Permission.EXPORT_CLEAR,
            Permission.HOLD_MANAGE,
            Permission.ERASURE_MANAGE,
        }
    ),
    Role.QA_REVIEWER: frozenset(
        {
            Permission.QUEUE_WORK,
            Permission.CONVERSATION_READ,
            Permission.PII_REVEAL,
            Permission.REVIEW_WRITE,
            Permission.REVIEW_READ,
            Permission.COACHING_READ,
            Permission.RUBRIC_READ,
            Permission.CALIBRATION_WORK,
            Permission.CALIBRATION_READ,
            Permission.DISPUTE_RESOLVE,
            Permission.DISPUTE_READ,
        }
    ),
    Role.COACH: frozenset(
        {
            Permission.CONVERSATION_READ,
            Permission.REVIEW_READ,
            Permission.AGENT_SCORES_READ,
            Permission.COACHING_READ,
            Permission.RUBRIC_READ,
            Permission.CALIBRATION_READ,
            Permission.DISPUTE_OPEN,
            Permission.DISPUTE_READ,
            Permission.DASHBOARD_READ,
        }
    ),
    Role.AGENT: frozenset({Permission.OWN_WORK, Permission.RUBRIC_READ}),
}


@dataclass(frozen=True)
class User:
    """A person who signs in to the app."""

    id: int
    username: str
    display_name: str
    role: Role
    participant_id: str | None
    active: bool
    created_at: str
    session_generation: int = 0

    @property
    def session_id(self) -> str:
        """What a session keeps to name the user: stale once the generation moves on."""
        return f"{self.id}:{self.session_generation}"

    def can(self, permission: Permission) -> bool:
        """Whether the user's role grants ``permission``."""
        return self.active and permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Refuse with ``AccessDenied`` unless the user's role grants ``permission``."""
        if not self.can(permission):
            raise AccessDenied(f"{self.role.label} may not {permission}")


def _user(row: Mapping[str, Any]) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        participant_id=row["participant_id"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        session_generation=int(row.get("session_generation") or 0),
    )


@cache
def _hasher() -> PasswordHasher:
    # argon2id with the library's defaults (RFC 9106 "low memory" profile: t=3, 64 MiB, p=4).
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    # Verified against when the username is unknown, so timing does not tell users apart.
    return _hasher().hash("auditkit-decoy-password")


def password_problems(password: str) -> list[str]:
    """Why a new password is refused (empty when acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        problems.append("the password must not start or end with spaces")
    return problems


def add_user(
    installation: Installation,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    participant_id: str | None = None,
) -> User:
    """Create an active user with an argon2id password hash; every problem is reported at once."""
    problems: list[str] = []
    if not USERNAME.match(username):
        problems.append(
            f"username {username!r}: 2-100 lower-case letters, digits, '.', '_', '@' or '-'"
        )
    display_name = display_name.strip() or username
    if len(display_name) > 200:
        problems.append("the display name must be at most 200 characters")
    if role not in set(Role):
        problems.append(f"role {role!r}: one of {', '.join(Role)}")
    if participant_id is not None and not 0 < len(participant_id) <= 200:
        problems.append("the participant id must be 1-200 characters")
    if role == Role.AGENT and not participant_id:
        problems.append("an agent needs --participant-id: the id their conversations name")
    problems.extend(password_problems(password))
    with operational_transaction(installation.engine) as conn:
        if accounts_store.user_by_username(conn, username) is not None:
            problems.append(f"username {username!r} is taken")
        if problems:
            raise InputRefused(problems)
        row: dict[str, Any] = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "password_hash": _hasher().hash(password),
            "participant_id": participant_id,
            "active": True,
            "created_at": format_time(utc_now()),
            "disabled_at": None,
        }
        row["id"] = accounts_store.insert_user(conn, row)
    return _user(row)


def list_users(installation: Installation) -> list[User]:
    """Every user, by username."""
    with read_transaction(installation.engine) as conn:
        return [_user(row) for row in accounts_store.all_users(conn)]


def set_active(installation: Installation, username: str, *, active: bool) -> User:
    """Enable or disable a user; either ends every session the user had."""
    with operational_transaction(installation.engine) as conn:
        row = accounts_store.user_by_username(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        at = None if active else format_time(utc_now())
        accounts_store.set_user_active(conn, row["id"], active=active, at=at)
        accounts_store.next_session_generation(conn, row["id"])
        row = accounts_store.user_by_id(conn, row["id"])
    assert row is not None
    return _user(row)


def set_password(installation: Installation, username: str, password: str) -> User:
    """Give a user a new password; every session the user had ends."""
    problems = password_problems(password)
    if problems:
        raise InputRefused(problems)
    with operational_transaction(installation.engine) as conn:
        row = accounts_store.user_by_username(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        accounts_store.set_password_hash(conn, row["id"], _hasher().hash(password))
        accounts_store.next_session_generation(conn, row["id"])
        row = accounts_store.user_by_id(conn, row["id"])
    assert row is not None
    return _user(row)


def end_sessions(installation: Installation, user_id: int) -> None:
    """Sign the user out everywhere: every session id issued so far stops working."""
    with operational_transaction(installation.engine) as conn:
        accounts_store.next_session_generation(conn, user_id)


def load_user(installation: Installation, user_id: int) -> User | None:
    """The active user with this id (None if unknown or disabled): called on every request."""
    with read_transaction(installation.engine) as conn:
        row = accounts_store.user_by_id(conn, user_id)
    if row is None or not row["active"]:
        return None
    return _user(row)


def load_session_user(installation: Installation, session_id: str) -> User | None:
    """The active user a session id names, if the id is still current (else None)."""
    user_part, _, generation = session_id.partition(":")
    if not user_part.isdecimal() or not generation.isdecimal() or len(session_id) > 40:
        return None
    found = load_user(installation, int(user_part))
    if found is None or found.session_generation != int(generation):
        return None
    return found


def active_user(installation: Installation, username: str) -> User:
    """The active user named ``username`` (a command's ``--as``); NotFound otherwise."""
    with read_transaction(installation.engine) as conn:
        row = accounts_store.user_by_username(conn, username)
    if row is None:
        raise NotFound(f"no user {username!r} (auditkit users list names them)")
    if not row["active"]:
        raise NotFound(f"user {username!r} is disabled")
    return _user(row)


def users_by_role(installation: Installation, roles: set[Role]) -> list[User]:
    """Active users holding one of ``roles``."""
    return [u for u in list_users(installation) if u.active and u.role in roles]


def authenticate(
    installation: Installation, *, username: str, password: str, remote_addr: str
) -> User:
    """Check a sign-in; every attempt is counted before the password is checked, per
    (username, address) pair and per address, and over the limit is refused unchecked."""
    now = utc_now()
    since = format_time(now - THROTTLE_WINDOW)
    username = username.strip().lower()[:100]
    remote_addr = (remote_addr or "unknown")[:64]
    with operational_transaction(installation.engine) as conn:
        accounts_store.lock_sign_in_throttle(conn)
        counts = accounts_store.login_failures_since(
            conn, username=username, remote_addr=remote_addr, since=since
        )
        for prefix, limit in (
            ("pair", MAX_FAILURES_PER_USERNAME),
            ("addr", MAX_FAILURES_PER_ADDRESS),
        ):
            if counts[f"{prefix}_count"] >= limit:
                oldest = parse_time(counts[f"{prefix}_oldest"])
                retry = int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1
                raise LoginThrottled(max(retry, 1))
        attempt = accounts_store.record_login_failure(
            conn, username=username, remote_addr=remote_addr, at=format_time(now)
        )
        row = accounts_store.user_by_username(conn, username)
    ok = False
    try:
        ok = _hasher().verify(row["password_hash"] if row else _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or not row["active"]:
        raise LoginRefused("unknown username or wrong password")
    with operational_transaction(installation.engine) as conn:
        accounts_store.forget_login_failure(conn, attempt)
        accounts_store.clear_login_failures(
            conn,
            username=username,
            remote_addr=remote_addr,
            before=format_time(now - 4 * THROTTLE_WINDOW),
        )
        if _hasher().check_needs_rehash(row["password_hash"]):
            accounts_store.set_password_hash(conn, row["id"], _hasher().hash(password))
    return _user(row)
