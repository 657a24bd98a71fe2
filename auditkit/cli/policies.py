"""``auditkit policies check``: validate every policy and warn about overlaps and dead links.

Registered on the main group with ``cli.add_command(policies)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from auditkit.checks import load_policies
from auditkit.checks import service as checks
from auditkit.cli.options import context_installation
from auditkit.review import rubrics as review_rubrics


@click.group()
def policies() -> None:
    """Consent and validation policies: check policy packs."""


@policies.command(name="check")
@click.option(
    "--policies",
    "extra",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Also this policy file or folder (repeatable).",
)
@click.option(
    "--rubric",
    "rubric_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check links from this rubric file (repeatable; default: every rubric in use).",
)
@click.option("--strict", is_flag=True, help="Exit with status 1 when there is any warning.")
@click.pass_context
def policies_check(
    ctx: click.Context, extra: tuple[Path, ...], rubric_files: tuple[Path, ...], strict: bool
) -> None:
    """Validate the policies in use (and any --policies), print each, then warn about packs
    that judge the same actions and rubric criteria that link no loaded policy."""
    installation = context_installation(ctx)
    loaded = load_policies([*checks.policy_sources(installation), *extra])
    for policy in loaded:
        click.echo(f"ok: {policy.id} v{policy.version} sha256:{policy.content_hash}")
    paths = list(rubric_files) or review_rubrics.rubric_files(installation)
    rubrics = review_rubrics.check_rubric_files(paths)
    warnings = checks.policy_warnings(loaded, rubrics)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{len(loaded)} policies, {len(warnings)} warning(s)")
    if strict and warnings:
        ctx.exit(1)
