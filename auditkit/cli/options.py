"""What every command group shares: the installation of the context, time options, and
auditkit errors reported as one-line messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from auditkit.errors import AuditkitError
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import parse_time
from auditkit.settings import load_settings


def context_installation(ctx: click.Context) -> Installation:
    """The installation of this command line (opened from the environment on first use)."""
    installation = ctx.obj if isinstance(ctx.obj, Installation) else None
    if installation is None:
        installation = Installation.open(load_settings())
        ctx.obj = installation
    return installation


def time_option(value: str | None, option: str) -> datetime | None:
    """A ``--since``/``--until`` value: a date (midnight UTC) or an RFC 3339 time."""
    if value is None:
        return None
    try:
        return parse_time(value if "T" in value else f"{value}T00:00:00+00:00")
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or RFC 3339 time", param_hint=option
        ) from None


@contextmanager
def clear_errors() -> Iterator[None]:
    """Report auditkit errors as a one-line message and exit status 1 (also when a group's
    command runs alone, outside the main group that does the same)."""
    try:
        yield
    except AuditkitError as exc:
        raise click.ClickException(str(exc)) from exc
