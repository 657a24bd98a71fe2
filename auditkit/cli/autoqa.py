"""``auditkit autoqa`` (score what is not scored yet), ``autoqa results`` and ``autoqa
agreement``: register on the main group with ``cli.add_command(autoqa)``. docs/autoqa.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from auditkit.autoqa import agreement as autoqa_agreement
from auditkit.autoqa import results as autoqa_results
from auditkit.autoqa import service as autoqa_service
from auditkit.cli.options import clear_errors, context_installation
from auditkit.rubric import format_score


def _progress_bar() -> tuple[list[Any], Callable[[int, int], None]]:
    """A ``(done, total)`` callback drawing a bar on a terminal (silent in logs and pipes)."""
    bars: list[Any] = []

    def advance(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if not bars:
            bars.append(click.progressbar(length=total, label="scoring", file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    return bars, advance


@click.group(invoke_without_command=True)
@click.option(
    "--conversation",
    "conversations",
    multiple=True,
    help="Score only this conversation (repeatable); default: every one not scored yet.",
)
@click.option("--workers", type=click.IntRange(1, 16), help="Processes (default: the cores).")
@click.pass_context
def autoqa(ctx: click.Context, conversations: tuple[str, ...], workers: int | None) -> None:
    """Score every conversation not yet scored by the current auto-scorers (docs/autoqa.md).

    Appends one signed autoqa record per conversation and rubric whose score is missing or
    stale; a re-run with nothing changed appends nothing. Automatic scores stand apart from
    the reviewers' and never count as a review.
    """
    if ctx.invoked_subcommand is not None:
        return
    with clear_errors():
        bars, advance = _progress_bar()
        try:
            report = autoqa_service.run_autoqa(
                context_installation(ctx),
                conversation_ids=conversations,
                workers=workers,
                progress=advance,
            )
        finally:
            if bars:
                bars[0].__exit__(None, None, None)
    if not report.rubrics:
        click.echo("no rubric names an auto-scorer: nothing to score (docs/scoring.md)")
        return
    click.echo(f"rubrics: {', '.join(report.rubrics)}")
    click.echo(
        f"{report.conversations} conversation(s) looked at: {report.scored} scored, "
        f"{report.unchanged} unchanged, {report.not_applicable} with no applicable rubric"
    )
    click.echo(f"{report.recorded} autoqa record(s) appended")


@autoqa.command(name="results")
@click.option("--conversation", "conversations", multiple=True, help="Only this conversation.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text")
@click.pass_context
def results(ctx: click.Context, conversations: tuple[str, ...], fmt: str) -> None:
    """Print the automatic scores: a line per conversation and rubric, or one JSON object each."""
    with clear_errors():
        found = autoqa_results.autoqa_results(
            context_installation(ctx), conversation_ids=conversations
        )
    if fmt == "jsonl":
        for result in found:
            click.echo(json.dumps(result.document(), sort_keys=True, ensure_ascii=False))
        return
    if not found:
        click.echo("no automatic scores yet: run `auditkit autoqa`")
        return
    for result in found:
        score = "  n/a " if result.score is None else f"{result.score:6.2f}"
        levels = " ".join(f"{c.criterion}={c.level or '-'}" for c in result.criteria)
        click.echo(
            f"{result.conversation_id}  {result.rubric_id} v{result.rubric_version}  "
            f"score {score}  confidence {result.confidence:.2f}  {levels}"
        )


@autoqa.command(name="agreement")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--min-alpha",
    type=click.FloatRange(-1, 1),
    help="Trust a criterion from this alpha (default: AUDITKIT_AUTOQA_MIN_ALPHA, 0.67).",
)
@click.pass_context
def agreement(ctx: click.Context, fmt: str, min_alpha: float | None) -> None:
    """AutoQA against the reviewers, per criterion: Krippendorff's alpha (ordinal), its
    bootstrap 95% interval, exact agreement and pairs; AutoQA IQS beside human IQS."""
    with clear_errors():
        found = autoqa_agreement.measure_agreement(context_installation(ctx), min_alpha=min_alpha)
    if fmt == "json":
        click.echo(json.dumps([_agreement_document(r) for r in found], indent=2, sort_keys=True))
        return
    if not found:
        click.echo("no rubric names an auto-scorer")
        return
    for rubric in found:
        click.echo(
            f"{rubric.rubric_id} v{rubric.rubric_version}: human IQS "
            f"{format_score(rubric.human_iqs) or '-'} ({rubric.human_reviews} reviews), AutoQA IQS "
            f"{format_score(rubric.auto_iqs) or '-'} over trusted criteria "
            f"({rubric.auto_conversations} conversations); trusted from alpha {rubric.min_alpha}"
        )
        click.echo(
            f"  {'criterion':<26} {'pairs':>5} {'exact':>6} {'alpha':>6}  95% interval   flags"
        )
        for c in rubric.criteria:
            exact = "-" if c.exact is None else f"{c.exact:.2f}"
            alpha = "-" if c.alpha is None else f"{c.alpha:.2f}"
            interval = "-" if c.low is None else f"{c.low:.2f} to {c.high:.2f}"
            trust = "" if c.trusted else "  not trusted yet"
            click.echo(
                f"  {c.criterion:<26} {c.pairs:>5} {exact:>6} {alpha:>6}  {interval:<13} "
                f"{c.flags:>5}{trust}"
            )


def _agreement_document(rubric: autoqa_agreement.RubricAgreement) -> dict[str, object]:
    return {
        "rubric": {
            "id": rubric.rubric_id,
            "version": rubric.rubric_version,
            "hash": rubric.rubric_hash,
        },
        "min_alpha": rubric.min_alpha,
        "human_iqs": format_score(rubric.human_iqs),
        "human_reviews": rubric.human_reviews,
        "autoqa_iqs": format_score(rubric.auto_iqs),
        "autoqa_conversations": rubric.auto_conversations,
        "autoqa_iqs_by_agent": {
            agent: {"iqs": format_score(value), "conversations": n}
            for agent, value, n in rubric.by_agent
        },
        "criteria": {
            c.criterion: {
                "pairs": c.pairs,
                "exact_agreement": c.exact,
                "alpha": c.alpha,
                "alpha_95": None if c.low is None else [c.low, c.high],
                "trusted": c.trusted,
                "flags": c.flags,
            }
            for c in rubric.criteria
        },
    }
