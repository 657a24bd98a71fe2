"""The ``auditkit`` command line: parse options, call one service, print the result."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from auditkit.autoqa import service as autoqa_service
from auditkit.checks import service as checks
from auditkit.cli.autoqa import autoqa
from auditkit.cli.erasure import erase, erasure_group
from auditkit.cli.findings import findings as findings_command
from auditkit.cli.options import context_installation, time_option
from auditkit.cli.policies import policies
from auditkit.cli.reports import report
from auditkit.cli.sampling import sample
from auditkit.cli.tlog import check_bundle, tiles, tlog_proof, witness
from auditkit.cli.web import rubrics, serve, users
from auditkit.errors import AuditkitError
from auditkit.home import permission_warnings
from auditkit.ledger import keys, proofs, verify
from auditkit.ledger.checkpoint import parse_verifier_key
from auditkit.ledger.export import bundle as export_service
from auditkit.ledger.installation import Installation, initialise
from auditkit.metrics import refresh as metrics
from auditkit.privacy import erasure
from auditkit.reporting.transcripts import clear_details, transcript_files
from auditkit.reports import render_transcript, render_transcripts_pdf
from auditkit.settings import load_settings
from auditkit.sources import ingest
from auditkit.sources import samples as pii_samples
from auditkit.sources.erasure import expire_refused_payloads


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``(done, total)`` callback drawing a bar on a terminal; silent in logs and pipes,
    where the command's summary says what happened. The bar starts at the first call,
    when the total is known."""
    bars: list[Any] = []

    def advance(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield advance
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


class AuditkitGroup(click.Group):
    """A command group that turns auditkit errors into a clear message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, reporting AuditkitError without a traceback."""
        try:
            return super().invoke(ctx)
        except AuditkitError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=AuditkitGroup)
@click.version_option(package_name="auditkit")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """auditkit: signed, append-only records of support conversations.

    Settings come from AUDITKIT_HOME (default ~/.local/share/auditkit),
    AUDITKIT_DATABASE_URL, AUDITKIT_KEY_PASSPHRASE or AUDITKIT_KEY_PASSPHRASE_FILE,
    AUDITKIT_LOG_ORIGIN and AUDITKIT_ACTOR.
    """
    ctx.obj = None


@cli.command()
def init() -> None:
    """Create the installation: migrate the database and create the signing key."""
    settings = load_settings()
    report = initialise(settings)
    for warning in permission_warnings(settings):
        click.echo(warning, err=True)
    click.echo(f"database: {report.database} (schema at head)")
    click.echo(f"log origin: {report.origin}")
    if report.created_key:
        click.echo(f"created signing key {report.created_key}")
    else:
        click.echo("signing key already present and unlocked")


@cli.command(name="import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "abcd", "sgd", "chatwoot"]),
    help="Input format (default: detect).",
)
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str | None) -> None:
    """Validate FILES completely, then append new conversations and events."""
    installation = context_installation(ctx)
    with _progress("importing") as advance:
        report = ingest.import_files(installation, list(files), fmt=fmt, progress=advance)
    click.echo(
        f"{report.conversations} conversations read: {report.new_conversations} new, "
        f"{report.updated_conversations} with new events, "
        f"{report.unchanged_conversations} already recorded"
    )
    if report.new_conversations == 0 and report.updated_conversations == 0:
        click.echo("nothing new: only the import run itself was recorded")
    click.echo(f"{report.records_appended} records appended; tree size {report.tree_size}")
    if report.analyzed:
        click.echo("a large import: the written tables' PostgreSQL statistics refreshed (ANALYZE)")
    if report.new_conversations or report.updated_conversations:
        # Like the metrics refresh: what the import changed is scored automatically now. The
        # import is committed either way; a scoring problem is reported, not made its failure.
        try:
            scored = autoqa_service.run_autoqa(installation)
        except AuditkitError as exc:
            click.echo(f"autoqa not run (the import is recorded): {exc}", err=True)
        else:
            if scored.recorded:
                click.echo(f"autoqa: {scored.recorded} conversation score(s) recorded")


@cli.group(name="metrics")
def metrics_group() -> None:
    """Conversation metrics (docs/metrics.md): the table behind the view, reports, sampling."""


@metrics_group.command(name="refresh")
@click.pass_context
def metrics_refresh(ctx: click.Context) -> None:
    """Recompute the metrics of every conversation changed since they were last computed.

    Imports and webhooks keep them current; this catches up by hand (after an upgrade, or
    after appends such as erasures).
    """
    count = metrics.refresh_metrics(context_installation(ctx))
    click.echo(f"metrics recomputed for {count} conversation(s)")


@cli.command(name="verify")
@click.option("--key", "keys_", multiple=True, help="Trust only this verifier key (repeatable).")
@click.option("--skip-projections", is_flag=True, help="Check the tree and signatures only.")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint (or file of them) kept outside; the log must extend it.",
)
@click.option(
    "--ask-witnesses", is_flag=True, help="Also fetch each witness's newest cosigned checkpoint."
)
@click.pass_context
def verify_(
    ctx: click.Context,
    keys_: tuple[str, ...],
    skip_projections: bool,
    checkpoints: tuple[Path, ...],
    ask_witnesses: bool,
) -> None:
    """Recompute every hash, check every checkpoint and the query tables; exit 1 on any problem."""
    trusted = [parse_verifier_key(k) for k in keys_] or None
    installation = context_installation(ctx)
    for warning in permission_warnings(installation.settings):
        click.echo(warning, err=True)
    report = verify.verify_ledger(
        installation,
        trusted=trusted,
        check_projections=not skip_projections,
        checkpoint_files=checkpoints,
        ask_witnesses=ask_witnesses,
    )
    if not report.ok:
        for problem in report.problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {report.tree_size} records, {report.nodes_checked} Merkle nodes, "
        f"{report.checkpoints} signed checkpoints"
        + (", query tables match the log" if report.projections_checked else "")
        + f" ({report.seconds:.2f}s)"
    )
    if report.compared_with:
        click.echo(
            f"agrees with the copies kept outside the database: {'; '.join(report.compared_with)}"
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@cli.command()
@click.argument("seq", type=click.IntRange(min=0))
@click.option("--tree-size", type=click.IntRange(min=1), help="Prove against this checkpoint.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "tlog-proof"]),
    default="json",
    show_default=True,
    help="tlog-proof: the C2SP offline proof (c2sp.org/tlog-proof).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="With tlog-proof: write SEQ.tlog-proof and SEQ.entry (the record bytes) here.",
)
@click.pass_context
def prove(ctx: click.Context, seq: int, tree_size: int | None, fmt: str, out: Path | None) -> None:
    """Print an inclusion proof of record SEQ against the latest signed checkpoint."""
    if fmt == "tlog-proof":
        tlog_proof(context_installation(ctx), seq, tree_size, out)
        return
    proof = proofs.prove_inclusion(context_installation(ctx), seq, tree_size=tree_size)
    payload: dict[str, Any] = {
        "seq": proof.seq,
        "tree_size": proof.tree_size,
        "leaf_hash": _b64(proof.leaf_hash),
        "root_hash": _b64(proof.root_hash),
        "proof": [_b64(h) for h in proof.proof],
        "record": proof.entry.decode("utf-8"),
        "checkpoint": proof.checkpoint,
    }
    click.echo(json.dumps(payload, indent=2))


@cli.command()
@click.argument("size1", type=click.IntRange(min=1))
@click.argument("size2", type=click.IntRange(min=1), required=False)
@click.pass_context
def consistency(ctx: click.Context, size1: int, size2: int | None) -> None:
    """Print a consistency proof between the checkpoints of SIZE1 and SIZE2 (default latest)."""
    proof = proofs.prove_consistency(context_installation(ctx), size1, size2)
    payload = {
        "size1": proof.size1,
        "size2": proof.size2,
        "root1": _b64(proof.root1),
        "root2": _b64(proof.root2),
        "proof": [_b64(h) for h in proof.proof],
    }
    click.echo(json.dumps(payload, indent=2))


@cli.command()
@click.pass_context
def checkpoint(ctx: click.Context) -> None:
    """Print the latest signed checkpoint (C2SP signed note)."""
    click.echo(proofs.latest_checkpoint_note(context_installation(ctx)), nl=False)


@cli.group(name="keys")
def keys_group() -> None:
    """Signing keys: list, print the verifier key, rotate."""


@keys_group.command(name="list")
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List every signing key; the active one is marked."""
    for info in keys.list_keys(context_installation(ctx)):
        mark = "*" if info.active else " "
        click.echo(f"{mark} {info.key_id}  {info.created_at}  {info.verifier_key}")


@keys_group.command(name="verifier")
@click.pass_context
def keys_verifier(ctx: click.Context) -> None:
    """Print the active verifier key (name+id+key) to give to auditors."""
    active = [info for info in keys.list_keys(context_installation(ctx)) if info.active]
    if not active:
        _fail("no signing key: run `auditkit init`")
    click.echo(active[0].verifier_key)


@keys_group.command(name="rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Start signing with a new key; old checkpoints still verify with the old one."""
    signer = keys.rotate_key(context_installation(ctx))
    click.echo(f"new signing key {signer.key_id:08x}: {signer.verifier().verifier_key_string()}")


@keys_group.command(name="rotate-master")
@click.pass_context
def keys_rotate_master(ctx: click.Context) -> None:
    """Re-wrap every data key under a new master key (nothing is re-encrypted)."""
    old, new, count = erasure.rotate_master_key(context_installation(ctx))
    click.echo(f"master key {old} replaced by {new}: {count} data keys re-wrapped")


@cli.group(name="hold")
def hold_group() -> None:
    """Legal holds: erasure of what a hold names is refused until it is removed."""


@hold_group.command(name="add")
@click.option("--subject", help="Hold everything of this data subject.")
@click.option("--conversation", help="Hold this conversation.")
@click.option("--reason", required=True, help="Why (recorded in the ledger).")
@click.pass_context
def hold_add(
    ctx: click.Context, subject: str | None, conversation: str | None, reason: str
) -> None:
    """Place a legal hold on a subject or a conversation."""
    hold = erasure.add_hold(
        context_installation(ctx), subject=subject, conversation=conversation, reason=reason
    )
    click.echo(f"legal hold #{hold.id} placed on {hold.subject or hold.conversation_key}")


@hold_group.command(name="remove")
@click.argument("hold_id", type=int)
@click.option("--reason", required=True, help="Why (recorded in the ledger).")
@click.pass_context
def hold_remove(ctx: click.Context, hold_id: int, reason: str) -> None:
    """Remove legal hold HOLD_ID."""
    erasure.remove_hold(context_installation(ctx), hold_id, reason=reason)
    click.echo(f"legal hold #{hold_id} removed")


@hold_group.command(name="list")
@click.pass_context
def hold_list(ctx: click.Context) -> None:
    """List the holds in force."""
    for hold in erasure.list_holds(context_installation(ctx)):
        target = (
            f"subject {hold.subject}" if hold.subject else f"conversation {hold.conversation_key}"
        )
        click.echo(f"#{hold.id}  {target}  {hold.created_at}  {hold.created_by}: {hold.reason}")


@cli.group(name="retention")
def retention_group() -> None:
    """Retention: erase personal content whose retention period has passed."""


@retention_group.command(name="apply")
@click.option("--dry-run", is_flag=True, help="List what would be erased; change nothing.")
@click.pass_context
def retention_apply(ctx: click.Context, dry_run: bool) -> None:
    """Erase expired subjects (safe to run from cron); held subjects are skipped."""
    report = erasure.apply_retention(context_installation(ctx), dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for subject in report.erased:
        click.echo(f"{verb} {subject}")
    for subject in report.held:
        click.echo(f"skipped {subject}: under legal hold")
    click.echo(
        f"{len(report.erased)} subject(s) {verb}, {len(report.held)} held, "
        f"{report.kept} still within retention"
    )
    if not dry_run:
        expired = expire_refused_payloads(context_installation(ctx))
        click.echo(f"{expired} refused webhook payload(s) older than 14 days forgotten")


@cli.command()
@click.option(
    "--workers", type=click.IntRange(min=1), help="Detector processes (default: CPUs, at most 4)."
)
@click.pass_context
def scan(ctx: click.Context, workers: int | None) -> None:
    """Detect personal data in every message not yet scanned by the configured detector."""
    from auditkit.pii import scan as scan_service

    with _progress("scanning") as advance:
        report = scan_service.scan_messages(
            context_installation(ctx), workers=workers, progress=advance
        )
    if report.messages == 0:
        click.echo(f"nothing to scan: every message is scanned by {report.detector_key}")
        return
    types = ", ".join(f"{t} {n}" for t, n in sorted(report.by_type.items()))
    click.echo(
        f"scanned {report.messages} messages in {report.conversations} conversations: "
        f"{report.findings} findings ({types or 'none'}), {report.restricted} restricted-data findings"
    )


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--conversation-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="One conversation in the import format: its messages are scanned with its participants.",
)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Lines {"id", "text", "participants"?}: one JSON line of findings per input.',
)
@click.pass_context
def pii(
    ctx: click.Context, text: str | None, conversation_file: Path | None, jsonl: Path | None
) -> None:
    """Run the configured detector on TEXT (or - for stdin): findings as JSON lines, then the redacted text."""
    from auditkit.pii import scan as scan_service

    installation = Installation.open(load_settings())
    if jsonl is not None:
        if text is not None or conversation_file is not None:
            raise click.UsageError("give --jsonl alone, without TEXT or --conversation-file")
        for line in scan_service.probe_file(installation, jsonl):
            click.echo(line)
        return
    samples = pii_samples.sample_texts(text, conversation_file, stdin=sys.stdin)
    for label, _text, findings, redacted in scan_service.detect_samples(installation, samples):
        if label:
            click.echo(f"# {label}")
        for finding in findings:
            click.echo(json.dumps(finding.as_dict()))
        click.echo(redacted)


@cli.command()
@click.option("--policy", "policies", multiple=True, help="Only this policy id (repeatable).")
@click.option(
    "--conversation", "conversations", multiple=True, help="Only this conversation (repeatable)."
)
@click.pass_context
def check(ctx: click.Context, policies: tuple[str, ...], conversations: tuple[str, ...]) -> None:
    """Evaluate consent and validation policies over whole conversations; record the results."""
    report = checks.run_checks(
        context_installation(ctx), policy_ids=policies, conversation_ids=conversations
    )
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(report.outcomes.items()))
    click.echo(f"{report.conversations} conversations, {report.evaluated} results: {outcomes}")
    click.echo(
        f"{report.recorded} results recorded, {report.unchanged} unchanged since the last run"
    )
    for policy, count in sorted(report.failures_by_policy.items()):
        click.echo(f"  {policy}: {count} failing conversation(s)")


@cli.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="New bundle directory.")
@click.option(
    "--conversation", "conversations", multiple=True, help="Only this conversation (repeatable)."
)
@click.option("--since", help="Events at or after this date/time (UTC).")
@click.option("--until", help="Events before this date/time (UTC).")
@click.option(
    "--tlog-proofs/--no-tlog-proofs",
    default=True,
    show_default=True,
    help="Write tlog-proofs/<seq>.tlog-proof for every record (c2sp.org/tlog-proof).",
)
@click.option(
    "--transcripts/--no-transcripts",
    default=True,
    show_default=True,
    help="Write a redacted transcripts/<conversation>.html per conversation, naming seqs.",
)
@click.option(
    "--transcripts-pdf",
    is_flag=True,
    help="Also write transcripts/transcripts.pdf: every transcript in one PDF (WeasyPrint).",
)
@click.option(
    "--clear",
    is_flag=True,
    help="Transcripts in clear text, not redacted (needs --reason; recorded in the ledger).",
)
@click.option("--reason", help="Why a clear-text export is needed (recorded with the export).")
@click.pass_context
def export(
    ctx: click.Context,
    out: Path,
    conversations: tuple[str, ...],
    since: str | None,
    until: str | None,
    tlog_proofs: bool,
    transcripts: bool,
    transcripts_pdf: bool,
    clear: bool,
    reason: str | None,
) -> None:
    """Write a bundle of records with inclusion proofs, checkpoint and verifier key."""
    scope = export_service.ExportScope(
        conversations=conversations,
        since=time_option(since, "--since"),
        until=time_option(until, "--until"),
    )
    if transcripts_pdf and not transcripts:
        raise click.UsageError("--transcripts-pdf needs the transcripts (drop --no-transcripts)")
    if clear and not transcripts:
        raise click.UsageError("--clear is for the transcripts (drop --no-transcripts)")
    if reason is not None and not clear:
        raise click.UsageError("--reason is only for --clear")
    details = clear_details(reason) if clear else None
    installation = context_installation(ctx)
    extra = (
        transcript_files(
            installation,
            render_transcript,
            tlog_proofs=tlog_proofs,
            pdf=render_transcripts_pdf if transcripts_pdf else None,
            clear=clear,
        )
        if transcripts
        else None
    )
    result = export_service.export_bundle(
        installation, out, scope, tlog_proofs=tlog_proofs, extra_files=extra, details=details
    )
    click.echo(
        f"exported {result.records} records to {result.directory} "
        f"(checkpoint size {result.tree_size}, export recorded as seq {result.export_seq})"
    )
    click.echo(f"manifest sha256: {result.manifest_sha256}")


@cli.command(name="verify-bundle")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--key", help="Require the bundle to be signed by this verifier key.")
@click.option("--witness", "witnesses", multiple=True, help="A witness key (NAME+ID+KEY) to count.")
@click.option(
    "--quorum", type=click.IntRange(min=1), help="Valid cosignatures required (default: all)."
)
def verify_bundle_(
    directory: Path, key: str | None, witnesses: tuple[str, ...], quorum: int | None
) -> None:
    """Check an export bundle offline, with no database."""
    check_bundle(directory, key, witnesses, quorum)


cli.add_command(serve)
cli.add_command(users)
cli.add_command(rubrics)
cli.add_command(report)
cli.add_command(policies)
cli.add_command(tiles)
cli.add_command(witness)
cli.add_command(autoqa)
cli.add_command(findings_command)
cli.add_command(sample)
cli.add_command(erasure_group)
cli.add_command(erase)


def main() -> None:
    """Entry point of the ``auditkit`` console script."""
    cli()
