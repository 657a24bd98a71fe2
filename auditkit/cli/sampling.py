"""``auditkit sample rules`` and ``auditkit sample run-rules``: saved sampling rules, drawn
on a schedule (safe from cron: each rule draws at most once a UTC day). Registered on the
main group with ``cli.add_command(sample)``."""

from __future__ import annotations

import click

from auditkit.cli.options import clear_errors, context_installation
from auditkit.quality import sampling_rules
from auditkit.review.sampling import Coverage


@click.group()
def sample() -> None:
    """Saved sampling rules (saved from the web's queue screen) and their scheduled draws."""


@sample.command(name="run-rules")
@click.option("--force", is_flag=True, help="Draw again rules that already drew today.")
@click.pass_context
def run_rules(ctx: click.Context, force: bool) -> None:
    """Draw every active rule once today (UTC), as the user who saved it; print each outcome."""
    with clear_errors():
        runs = sampling_rules.run_rules(context_installation(ctx), force=force)
    if not runs:
        click.echo("no active sampling rules")
    for run in runs:
        detail = (
            f": {run.assigned} of {run.eligible} eligible assigned"
            if run.outcome == "drawn"
            else ""
        )
        click.echo(f"{run.rule}: {run.outcome}{detail}")
        if run.coverage is not None:
            click.echo(f"    coverage: {run.coverage.text()}")


@sample.command(name="rules")
@click.pass_context
def list_rules(ctx: click.Context) -> None:
    """List the saved rules with their latest draws."""
    for history in sampling_rules.rule_histories(context_installation(ctx)):
        rule = history.rule
        state = "active" if history.active else "paused"
        focus = rule.focus().text()
        spot = f", {focus}" if focus else ""
        click.echo(
            f"{rule.name} ({state}): {rule.method}, {rule.size} a draw, "
            f"due in {rule.due_days} d{spot}"
        )
        for run in history.runs:
            covered = run["coverage"]
            click.echo(
                f"    {run['ran_at']} {run['outcome']}: {run['assigned']} of {run['eligible']}"
                + (f"; coverage: {covered.text()}" if isinstance(covered, Coverage) else "")
            )
