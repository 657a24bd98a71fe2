"""``auditkit report audit``, ``coaching`` and ``pack``: register on the main group with
``cli.add_command(report)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from auditkit.cli.options import clear_errors, context_installation, time_option
from auditkit.reporting import audit as audit_reports
from auditkit.reporting import coaching as coaching_reports


@click.group()
def report() -> None:
    """Audit reports for compliance officers and coaching reports for agents (PDF and HTML)."""


@report.command(name="audit")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An empty or new directory for the PDF, the HTML and the export bundle.",
)
@click.option("--since", help="Conversations active at or after this date/time (UTC).")
@click.option("--until", help="Conversations started before this date/time (UTC).")
@click.option("--channel", "channels", multiple=True, help="Only this channel (repeatable).")
@click.option(
    "--agent", "agents", multiple=True, help="Only this agent's conversations (repeatable)."
)
@click.option(
    "--queue",
    "queues",
    multiple=True,
    help="Only conversations a staff participant of this team handled (repeatable).",
)
@click.option("--policy", "policies", multiple=True, help="Only this policy id (repeatable).")
@click.pass_context
def audit(
    ctx: click.Context,
    out: Path,
    since: str | None,
    until: str | None,
    channels: tuple[str, ...],
    agents: tuple[str, ...],
    queues: tuple[str, ...],
    policies: tuple[str, ...],
) -> None:
    """Write the audit report and its matching export bundle; record the report in the ledger."""
    from auditkit.reports import render_audit, render_transcript

    scope = audit_reports.ReportScope(
        since=time_option(since, "--since"),
        until=time_option(until, "--until"),
        channels=channels,
        agents=agents,
        policies=policies,
        queues=queues,
    )
    with clear_errors():
        result = audit_reports.audit_report(
            context_installation(ctx),
            scope,
            out,
            renderer=render_audit,
            transcript_renderer=render_transcript,
        )
    click.echo(f"wrote {result.pdf_path} and {result.html_path}")
    if result.bundle is not None:
        click.echo(
            f"bundle {out / result.bundle.directory} (manifest sha256 "
            f"{result.bundle.manifest_sha256})"
        )
    click.echo(f"recorded as seq {result.record_seq} (pdf sha256 {result.pdf_sha256})")


@report.command(name="coaching")
@click.option("--agent", help="The agent's participant id.")
@click.option("--team", help="A team: the reviews of all its agents, against everyone's.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An empty or new directory for the PDF and the HTML.",
)
@click.option("--since", help="Reviews submitted at or after this date/time (UTC).")
@click.option("--until", help="Reviews submitted before this date/time (UTC).")
@click.pass_context
def coaching(
    ctx: click.Context,
    agent: str | None,
    team: str | None,
    out: Path,
    since: str | None,
    until: str | None,
) -> None:
    """Write an agent's or a team's coaching report: IQS trend, criteria, examples."""
    from auditkit.reports import render_coaching

    if (agent is None) == (team is None):
        raise click.UsageError("give exactly one of --agent ID or --team TEAM")
    scope = audit_reports.ReportScope(
        since=time_option(since, "--since"), until=time_option(until, "--until")
    )
    with clear_errors():
        if team is not None:
            result = coaching_reports.team_coaching_report(
                context_installation(ctx), team, out, scope=scope, renderer=render_coaching
            )
        else:
            result = coaching_reports.coaching_report(
                context_installation(ctx), str(agent), out, scope=scope, renderer=render_coaching
            )
    click.echo(f"wrote {result.pdf_path} and {result.html_path}")
    click.echo(f"recorded as seq {result.record_seq} (pdf sha256 {result.pdf_sha256})")


@report.command(name="pack")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An empty or new directory for the PDF and the HTML.",
)
@click.option("--criterion", help="Only examples illustrating this criterion id.")
@click.option("--intent", help="Only examples from conversations with this intent.")
@click.option("--agent", help="Only this agent's examples.")
@click.option("--channel", help="Only examples from this channel.")
@click.option(
    "--label", type=click.Choice(["exemplary", "needs_work"]), help="Only this kind of example."
)
@click.option("--search", help="Only examples whose redacted text contains this (any case).")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    help="Only examples whose review scored their criterion at least this (0-100).",
)
@click.option(
    "--max-score",
    type=click.FloatRange(0, 100),
    help="Only examples whose review scored their criterion at most this (0-100).",
)
@click.option("--since", help="Reviews submitted at or after this date/time (UTC).")
@click.option("--until", help="Reviews submitted before this date/time (UTC).")
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="How many examples at most.",
)
@click.pass_context
def pack(
    ctx: click.Context,
    out: Path,
    criterion: str | None,
    intent: str | None,
    agent: str | None,
    channel: str | None,
    label: str | None,
    search: str | None,
    min_score: float | None,
    max_score: float | None,
    since: str | None,
    until: str | None,
    limit: int,
) -> None:
    """Write a coaching pack: redacted examples across agents for a criterion or intent."""
    from auditkit.reporting.packs import coaching_pack
    from auditkit.reports import render_pack

    with clear_errors():
        result = coaching_pack(
            context_installation(ctx),
            out,
            criterion=criterion,
            intent=intent,
            agent=agent,
            channel=channel,
            label=label,
            search=search,
            min_score=min_score,
            max_score=max_score,
            since=time_option(since, "--since"),
            until=time_option(until, "--until"),
            limit=limit,
            renderer=render_pack,
        )
    click.echo(f"wrote {result.pdf_path} and {result.html_path}")
    click.echo(f"recorded as seq {result.record_seq} (pdf sha256 {result.pdf_sha256})")
