"""``auditkit findings``: policy results with their redacted evidence, as text, CSV or JSON
(the same rows the web's ``/findings?format=csv|json`` gives). Registered on the main group
with ``cli.add_command(findings)``."""

from __future__ import annotations

import click

from auditkit.cli.options import clear_errors, context_installation
from auditkit.review import findings as findings_service


@click.command()
@click.option("--policy", help="Only this policy id.")
@click.option("--severity", help="Only this severity (low, medium, high, critical).")
@click.option("--agent", help="Only conversations this agent took part in.")
@click.option("--intent", help="Only conversations with this intent.")
@click.option("--channel", help="Only this channel.")
@click.option(
    "--since", help="Conversations active on or after this day (YYYY-MM-DD) or RFC 3339 time."
)
@click.option(
    "--until", help="Conversations started on or before this day (YYYY-MM-DD) or before a time."
)
@click.option(
    "--outcome",
    default="fail",
    show_default=True,
    help="fail, pass, not_applicable or all.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="At most this many rows (text: 100 unless given; csv and json: all).",
)
@click.pass_context
def findings(
    ctx: click.Context,
    policy: str | None,
    severity: str | None,
    agent: str | None,
    intent: str | None,
    channel: str | None,
    since: str | None,
    until: str | None,
    outcome: str,
    output: str,
    limit: int | None,
) -> None:
    """List policy results (failed ones unless --outcome) with their evidence, redacted."""
    installation = context_installation(ctx)
    values = {
        "policy": policy,
        "severity": severity,
        "agent": agent,
        "intent": intent,
        "channel": channel,
        "since": since,
        "until": until,
        "outcome": outcome,
    }
    with clear_errors():
        query = findings_service.findings_query(
            installation, {k: v for k, v in values.items() if v is not None}
        )
        if output == "text" and limit is None:
            limit = 100
        rows = findings_service.all_findings(installation, query, limit=limit)
    if output == "csv":
        click.echo(findings_service.findings_csv(rows), nl=False)
        return
    if output == "json":
        click.echo(findings_service.findings_json(rows), nl=False)
        return
    if not rows:
        click.echo("no results match")
    for result in rows:
        click.echo(
            f"{result.conversation_key} [{result.channel}] {result.policy_id} "
            f"v{result.policy_version} {result.outcome} ({result.severity}): {result.explanation}"
        )
        for evidence in result.evidence:
            click.echo(f"    seq {evidence.seq} {evidence.kind}: {evidence.text}")
