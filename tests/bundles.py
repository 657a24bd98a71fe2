"""Test help for export bundles: sign a rewritten manifest again, as a key holder could."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from auditkit.ledger.export.bundle_verifier import MANIFEST_SIG, manifest_note_text
from auditkit.ledger.installation import Installation
from auditkit.settings import load_settings


def resign_manifest(bundle: Path, installation: Installation | Mapping[str, str]) -> None:
    """Write ``manifest.sig`` for the bundle's current manifest with the installation's own
    signing key: what only someone holding that key could do, so a test that rewrites the
    manifest reaches the checks behind its signature (proofs, the export record)."""
    opened = (
        installation
        if isinstance(installation, Installation)
        else Installation.open(load_settings(dict(installation)))
    )
    try:
        digest = hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
        note = opened.signer().sign_note(manifest_note_text(digest, opened.origin).encode())
        (bundle / MANIFEST_SIG).write_text(note, encoding="utf-8")
    finally:
        if opened is not installation:
            opened.engine.dispose()
