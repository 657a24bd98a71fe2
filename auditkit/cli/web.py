"""``auditkit serve``, ``auditkit users …`` and ``auditkit rubrics check``: register these on the
main group with ``cli.add_command(serve)``, ``cli.add_command(users)``, ``cli.add_command(rubrics)``.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import click

from auditkit.accounts import users as accounts
from auditkit.accounts.users import Role
from auditkit.cli.options import context_installation
from auditkit.errors import InputRefused
from auditkit.review import rubrics as review_rubrics

PASSWORD_VARIABLE = "AUDITKIT_NEW_USER_PASSWORD"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain HTTP to hosts other than localhost (testing only).",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Trust one reverse proxy's X-Forwarded-For/-Proto/-Host (TLS terminated there).",
)
@click.option(
    "--log-prefix",
    default="/log",
    show_default=True,
    help="URL prefix of the read-only C2SP tlog-tiles log (checkpoint, tile/...).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    threads: int,
    insecure_cookies: bool,
    behind_proxy: bool,
    log_prefix: str,
) -> None:
    """Run the review web app with waitress (on the installation's database)."""
    import waitress

    from auditkit.reports import preload as preload_reports
    from auditkit.web import create_app

    installation = context_installation(ctx)
    installation.require_schema()
    installation.signer()  # reviews are signed records: fail now if the key cannot be opened
    review_rubrics.available_rubrics(installation)  # and refuse to start on a bad rubric file
    prefix = "/" + log_prefix.strip("/")
    if prefix == "/":
        raise click.BadParameter("the log needs a prefix of its own", param_hint="--log-prefix")
    app = create_app(
        installation,
        secure_cookies=not insecure_cookies,
        behind_proxy=behind_proxy,
        config={"AUDITKIT_LOG_PREFIX": prefix},
    )
    click.echo(f"auditkit review app on http://{host}:{port}/ (waitress, {threads} threads)")
    preload_reports()  # the first coaching report PDF would import WeasyPrint
    # Everything loaded so far (the app, Presidio, spaCy: ~140k objects) lives as long as the
    # process. Frozen, it is no longer traversed by each full collection, which otherwise
    # falls inside some request (70-200 ms measured: bench/README.md, issue 15).
    gc.collect()
    gc.freeze()
    waitress.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="auditkit",
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
    )


@click.group()
def users() -> None:
    """People who sign in to the review app: add, list, disable, enable, set-password."""


@users.command(name="add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice([str(r) for r in Role]),
    help="admin, compliance_officer, qa_reviewer or coach.",
)
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option(
    "--participant-id",
    default=None,
    help="Their own id in conversations (an agent who also reviews): they are never "
    "assigned a conversation they took part in.",
)
@click.pass_context
def users_add(
    ctx: click.Context, username: str, role: str, display_name: str, participant_id: str | None
) -> None:
    """Add a user; the password comes from AUDITKIT_NEW_USER_PASSWORD or a hidden prompt."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if not password:
        password = click.prompt(
            f"Password for {username}", hide_input=True, confirmation_prompt=True
        )
    try:
        user = accounts.add_user(
            context_installation(ctx),
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            participant_id=participant_id,
        )
    except InputRefused as exc:
        raise click.ClickException("user not added:\n  - " + "\n  - ".join(exc.problems)) from exc
    click.echo(f"added {user.username} ({user.role.label})")


@users.command(name="list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users: username, role, state, participant id."""
    for user in accounts.list_users(context_installation(ctx)):
        state = "active" if user.active else "disabled"
        extra = f"  participant {user.participant_id}" if user.participant_id else ""
        click.echo(f"{user.username:<24} {user.role!s:<20} {state:<9} {user.display_name}{extra}")


@users.command(name="disable")
@click.argument("username")
@click.pass_context
def users_disable(ctx: click.Context, username: str) -> None:
    """Disable a user: sign-in is refused and open sessions end at their next request."""
    user = accounts.set_active(context_installation(ctx), username, active=False)
    click.echo(f"disabled {user.username}")


@users.command(name="enable")
@click.argument("username")
@click.pass_context
def users_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled user again."""
    user = accounts.set_active(context_installation(ctx), username, active=True)
    click.echo(f"enabled {user.username}")


@users.command(name="set-password")
@click.argument("username")
@click.pass_context
def users_set_password(ctx: click.Context, username: str) -> None:
    """Give a user a new password (AUDITKIT_NEW_USER_PASSWORD or a hidden prompt); every
    session the user had ends."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if not password:
        password = click.prompt(
            f"New password for {username}", hide_input=True, confirmation_prompt=True
        )
    try:
        user = accounts.set_password(context_installation(ctx), username, password)
    except InputRefused as exc:
        raise click.ClickException(
            "password not changed:\n  - " + "\n  - ".join(exc.problems)
        ) from exc
    click.echo(f"new password for {user.username}; their sessions have ended")


@click.group()
def rubrics() -> None:
    """QA rubrics: check rubric files."""


@rubrics.command(name="check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def rubrics_check(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Validate FILES (default: every rubric in use), reporting every problem; print each hash."""
    installation = context_installation(ctx)
    paths = list(files) or review_rubrics.rubric_files(installation)
    known = review_rubrics.policy_ids(installation)
    for rubric in review_rubrics.check_rubric_files(paths, policy_ids=known):
        click.echo(
            f"ok: {rubric.id} v{rubric.version} sha256:{rubric.content_hash}  {rubric.title}"
        )
