"""Errors of the review app's services; the web maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Sequence

from auditkit.errors import AuditkitError


class InputRefused(AuditkitError):
    """Form input was refused and nothing was stored; ``problems`` holds every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AccessDenied(AuditkitError):
    """The user's role or relation to the object does not allow the action."""


class Conflict(AuditkitError):
    """The object changed state (reassigned, submitted, new events) since it was shown."""


class LoginRefused(AuditkitError):
    """Unknown user, wrong password or disabled account (deliberately not told apart)."""


class LoginThrottled(AuditkitError):
    """Too many failed sign-ins; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}"
        )
