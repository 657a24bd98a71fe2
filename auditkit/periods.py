"""Time in auditkit: the current UTC time, and periods of whole UTC days as the forms give them.

A period "from 1 March until 31 March" includes both days: it runs from the start of
``since`` up to, not including, the start of the day after ``until``. Every screen, command
and service turns dates into bounds here, so no two of them can disagree about the last day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from auditkit.errors import InputRefused


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_bounds(
    since: date | None, until: date | None, *, field: str = "until"
) -> tuple[datetime | None, datetime | None]:
    """The inclusive days ``since``..``until`` as UTC bounds ``[start, end)``; None is open.

    Refuses an ``until`` on the last representable day (9999-12-31), which has no next day.
    """
    start = day_start(since) if since else None
    if until is None:
        return start, None
    if until >= date.max:
        raise InputRefused([f"{field}: {until.isoformat()} is past the last date auditkit holds"])
    return start, day_start(until + timedelta(days=1))
