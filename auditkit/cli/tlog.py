"""``auditkit tiles …`` and ``auditkit witness …``: the log in the C2SP standard formats.

Register on the main group with ``cli.add_command(tiles)`` and ``cli.add_command(witness)``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from auditkit.cli.options import context_installation
from auditkit.errors import AuditkitError, NotFound
from auditkit.ledger.export.bundle_verifier import OWN_KEY_WARNING, BundleError, verify_bundle
from auditkit.ledger.installation import TRUSTED_KEYS_FILE, Installation
from auditkit.ledger.proofs import latest_checkpoint_note
from auditkit.ledger.tlog import static_dir
from auditkit.ledger.tlog import witnesses as witness_service
from auditkit.ledger.tlog.offline import prove_as_tlog_proof, write_tlog_proof
from auditkit.settings import load_settings


def tlog_proof(
    installation: Installation, seq: int, tree_size: int | None, out: Path | None
) -> None:
    """``prove --format tlog-proof``: print the proof, or write it and the record under ``out``."""
    if out is None:
        text, _ = prove_as_tlog_proof(installation, seq, tree_size=tree_size)
        click.echo(text, nl=False)
        return
    proof_path, entry_path = write_tlog_proof(installation, seq, out, tree_size=tree_size)
    click.echo(f"wrote {proof_path} and {entry_path} (the record's exact leaf bytes)")


def _locally_trusted(verifier_key: str) -> Path | None:
    """The installation's trusted-keys file when it lists ``verifier_key`` (no database needed)."""
    try:
        path = load_settings().keys_dir / TRUSTED_KEYS_FILE
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    except (AuditkitError, OSError):
        return None
    return path if verifier_key in (line.strip() for line in lines) else None


def check_bundle(
    directory: Path, key: str | None, witnesses: tuple[str, ...], quorum: int | None
) -> None:
    """``verify-bundle``: exit 0 only for a bundle signed by a key given or trusted here."""
    try:
        summary = verify_bundle(directory, key, list(witnesses), quorum)
    except BundleError as exc:
        click.echo(f"error: bundle NOT verified: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {summary.records} records proven in {summary.origin} at tree size "
        f"{summary.tree_size}, signed by key {summary.key_id}"
    )
    if summary.cosigners:
        click.echo(f"cosigned by witnesses: {', '.join(summary.cosigners)}")
    click.echo(f"manifest sha256: {summary.manifest_sha256}")
    if summary.key_given:
        return
    trusted_by = _locally_trusted(summary.verifier_key)
    if trusted_by is not None:
        click.echo(f"the bundle's key is trusted by this installation ({trusted_by})")
        return
    click.echo(f"NOT TRUSTED: {OWN_KEY_WARNING}: {summary.verifier_key}", err=True)
    click.echo("give the key you were given with --key to trust the bundle", err=True)
    sys.exit(1)


@click.group()
def tiles() -> None:
    """The log as C2SP tlog-tiles (hash tiles, entry bundles, checkpoint)."""


@tiles.command(name="write")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def tiles_write(ctx: click.Context, directory: Path) -> None:
    """Write (or bring up to date) DIRECTORY as a static tlog-tiles log; safe from cron."""
    installation = context_installation(ctx)
    note = witness_service.cosigned_note(installation, latest_checkpoint_note(installation))
    result = static_dir.write_tiles(installation, directory, checkpoint_note=note)
    click.echo(
        f"tiles for tree size {result.tree_size} in {result.directory}: "
        f"{result.written} written, {result.kept} already there"
    )
    for skipped in result.skipped_bundles:
        click.echo(f"warning: entry bundle not written: {skipped}", err=True)


@click.group()
def witness() -> None:
    """Witnesses that cosign the log's checkpoints (c2sp.org/tlog-witness)."""


@witness.command(name="add")
@click.argument("vkey")
@click.argument("url")
@click.pass_context
def witness_add(ctx: click.Context, vkey: str, url: str) -> None:
    """Add a witness by its key NAME+ID+KEY (type 0x04) and its submission URL prefix."""
    installation = context_installation(ctx)
    added = witness_service.add_witness(installation, vkey, url)
    click.echo(f"witness {added.key.name} added ({added.url})")
    try:
        note = latest_checkpoint_note(installation)
    except NotFound:
        click.echo("no checkpoint yet: the first one will be submitted when it is signed")
        return
    results = witness_service.submit_checkpoint(installation, note, force=True)
    for result in results:
        if result.witness == added.key.name:
            click.echo(("cosigned: " if result.ok else "not cosigned yet: ") + result.message)


@witness.command(name="status")
@click.pass_context
def witness_status(ctx: click.Context) -> None:
    """Each witness: the size it cosigned, and its last error and next retry if it failed."""
    rows = witness_service.witness_status(context_installation(ctx))
    if not rows:
        click.echo("no witness configured: add one with `auditkit witness add NAME+ID+KEY URL`")
    for item, state in rows:
        line = f"{item.key.name} {item.url} cosigned size {state.get('size', 0)}"
        if state.get("error"):
            retry = max(0, int(state.get("retry_at", 0) - time.time()))
            line += f"; last attempt failed: {state['error']} (retry in {retry}s)"
        click.echo(line)


@witness.command(name="submit")
@click.pass_context
def witness_submit(ctx: click.Context) -> None:
    """Offer the newest checkpoint to every witness now; exit 1 if any did not cosign."""
    installation = context_installation(ctx)
    results = witness_service.submit_checkpoint(
        installation, latest_checkpoint_note(installation), force=True
    )
    for result in results:
        click.echo(f"{result.witness}: {'ok, ' if result.ok else 'FAILED, '}{result.message}")
    if any(not result.ok for result in results):
        sys.exit(1)
