"""``auditkit erasure request|approve|reject|list|carry-out`` and ``auditkit erase``: four-eyes
erasure from the command line, the same records as the web's ``/admin/erasure``. Each
command acts as a compliance officer's account, ``--as USERNAME`` (default
``AUDITKIT_ACTOR``, then ``$USER``), signed in with that account's password
(``AUDITKIT_PASSWORD_FILE``, ``AUDITKIT_PASSWORD`` or a hidden prompt); a request is approved
by a different account."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auditkit.accounts.users import User, active_user, authenticate
from auditkit.cli.options import clear_errors, context_installation
from auditkit.errors import AccessDenied, LoginRefused
from auditkit.quality import erasure_requests as requests
from auditkit.quality.erasure_requests import ErasureRequest

AS_HELP = (
    "The compliance officer's auditkit account this is done as "
    "(default: AUDITKIT_ACTOR, then $USER)."
)


PASSWORD_FILE_VARIABLE = "AUDITKIT_PASSWORD_FILE"  # noqa: S105 (a variable name)
PASSWORD_VARIABLE = "AUDITKIT_PASSWORD"  # noqa: S105 (a variable name)


def _password(username: str) -> str:
    """The acting account's password: a file, the environment, or a hidden prompt when a
    person is at the terminal; refused otherwise (never a step done unauthenticated)."""
    if os.environ.get(PASSWORD_FILE_VARIABLE):
        path = Path(os.environ[PASSWORD_FILE_VARIABLE]).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise click.ClickException(
                f"{PASSWORD_FILE_VARIABLE}: cannot read {path}: {exc}"
            ) from exc
        if not lines or not lines[0]:
            raise click.ClickException(f"{PASSWORD_FILE_VARIABLE}: {path} is empty")
        return lines[0]
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return str(click.prompt(f"Password for {username}", hide_input=True))
    raise click.ClickException(
        f"erasure steps act as an auditkit account and need its password: {username!r} "
        f"has none here (set {PASSWORD_FILE_VARIABLE} to a file holding it, or run in a "
        "terminal to be asked)"
    )


def _actor(ctx: click.Context, username: str | None) -> User:
    """The account the step is done as, signed in with its password (throttled like the
    web's sign-in): four-eyes on the command line is two people's passwords, not two
    names anyone could type."""
    installation = context_installation(ctx)
    name = username or installation.settings.actor
    with clear_errors():
        active_user(installation, name)  # a clear "no user" / "disabled" first
        try:
            return authenticate(
                installation, username=name, password=_password(name), remote_addr="cli"
            )
        except LoginRefused as exc:
            raise AccessDenied(
                f"{name}: wrong password; nothing was recorded (the password is the "
                "account's web sign-in password)"
            ) from exc


def _line(found: ErasureRequest) -> str:
    parts = [
        f"#{found.id}  {found.status}  {found.subject}",
        f"requested by {found.requested_by} at {found.requested_at} (seq {found.request_seq})",
    ]
    if found.decided_by:
        verb = "rejected" if found.status == requests.RequestStatus.REJECTED else "approved"
        parts.append(f"{verb} by {found.decided_by} (seq {found.decision_seq})")
    if found.erasure_seq is not None:
        parts.append(f"carried out by {found.carried_out_by} (seq {found.erasure_seq})")
    return "; ".join(parts) + f": {found.reason}"


@click.group(name="erasure")
def erasure_group() -> None:
    """Four-eyes erasure: request, approve by a second compliance officer, carry out."""


@erasure_group.command(name="request")
@click.option("--subject", required=True, help="The data subject (customer participant id).")
@click.option("--reason", required=True, help="Why (10+ characters; recorded in the ledger).")
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def request_command(ctx: click.Context, subject: str, reason: str, as_user: str | None) -> None:
    """Request the erasure of SUBJECT; a second compliance officer must approve it."""
    with clear_errors():
        found = requests.request_erasure(
            context_installation(ctx), _actor(ctx, as_user), subject=subject, reason=reason
        )
    click.echo(
        f"erasure request #{found.id} for {found.subject} recorded as seq {found.request_seq}; "
        "a second compliance officer approves it with "
        f"`auditkit erasure approve {found.id}`"
    )


@erasure_group.command(name="approve")
@click.argument("request_id", type=int)
@click.option("--note", default="", help="An optional note (recorded).")
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def approve_command(ctx: click.Context, request_id: int, note: str, as_user: str | None) -> None:
    """Approve erasure request REQUEST_ID (not as the officer who made it)."""
    with clear_errors():
        found = requests.decide(
            context_installation(ctx), _actor(ctx, as_user), request_id, approve=True, note=note
        )
    click.echo(
        f"erasure request #{found.id} approved by {found.decided_by} (seq {found.decision_seq}); "
        f"carry it out with `auditkit erasure carry-out {found.id}`"
    )


@erasure_group.command(name="reject")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why (10+ characters; recorded).")
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def reject_command(ctx: click.Context, request_id: int, reason: str, as_user: str | None) -> None:
    """Reject (or, as its requester, withdraw) erasure request REQUEST_ID."""
    with clear_errors():
        found = requests.decide(
            context_installation(ctx),
            _actor(ctx, as_user),
            request_id,
            approve=False,
            note=reason,
        )
    click.echo(f"erasure request #{found.id} rejected (seq {found.decision_seq})")


@erasure_group.command(name="list")
@click.option("--open", "only_open", is_flag=True, help="Only pending and approved requests.")
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def list_command(ctx: click.Context, only_open: bool, as_user: str | None) -> None:
    """List erasure requests: open ones first, newest first."""
    with clear_errors():
        found = requests.list_requests(
            context_installation(ctx), _actor(ctx, as_user), include_closed=not only_open
        )
    if not found:
        click.echo("no erasure requests")
    for item in found:
        click.echo(_line(item))


def _carry_out(ctx: click.Context, request_id: int, as_user: str | None) -> None:
    with clear_errors():
        done, result = requests.carry_out(
            context_installation(ctx), _actor(ctx, as_user), request_id
        )
    click.echo(
        f"erased {result.subject} (request #{done.id}, approved by {done.decided_by}): "
        f"{len(result.conversations)} conversation(s), {result.messages_purged} message(s) "
        f"purged; recorded as seq {result.erasure_seq}"
    )
    if result.clear_in_log:
        shown = ", ".join(str(seq) for seq in result.clear_in_log[:20])
        more = len(result.clear_in_log) - 20
        click.echo(
            f"warning: {len(result.clear_in_log)} record(s) of this subject were written "
            "with their personal text in clear (sealing off, or an auditkit version that "
            f"did not seal that text yet): seq {shown}{f' and {more} more' if more > 0 else ''}"
            ". The log is append-only, so those records keep it (the query tables were "
            "cleared); only a new installation, imported again from the source data, is "
            "without them (docs/architecture.md, 'Erasure of free text').",
            err=True,
        )


@erasure_group.command(name="carry-out")
@click.argument("request_id", type=int)
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def carry_out_command(ctx: click.Context, request_id: int, as_user: str | None) -> None:
    """Carry out approved erasure request REQUEST_ID: crypto-shred the subject."""
    _carry_out(ctx, request_id, as_user)


@click.command(name="erase")
@click.option("--request", "request_id", type=int, help="The approved erasure request.")
@click.option("--subject", help="Refused: erasure needs an approved request (four-eyes).")
@click.option("--reason", help="Refused with --subject (see --request).")
@click.option("--as", "as_user", help=AS_HELP)
@click.pass_context
def erase(
    ctx: click.Context,
    request_id: int | None,
    subject: str | None,
    reason: str | None,
    as_user: str | None,
) -> None:
    """Crypto-shred the subject of an approved erasure request (``erasure carry-out``)."""
    if request_id is None:
        named = f" --subject {subject}" if subject else " --subject ID"
        raise click.ClickException(
            "erasure needs an approved request (four-eyes): "
            f"`auditkit erasure request{named} --reason TEXT`, approved by a second "
            "compliance officer (`auditkit erasure approve N`), then "
            "`auditkit erase --request N`"
        )
    if subject or reason:
        raise click.ClickException("--request names the subject and reason: give neither")
    _carry_out(ctx, request_id, as_user)
