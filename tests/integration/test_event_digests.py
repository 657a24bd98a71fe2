"""Keyed event identities (issue 18): events without a source id are keyed by an HMAC under
the installation's event-digest key; installations from before keep recognising the plain
SHA-256 keys they recorded, so a re-import after the upgrade appends nothing twice."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from auditkit.db.engine import alembic_config
from auditkit.errors import NotInitialised
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.sealing.cipher import SealingError
from auditkit.ledger.sealing.event_digests import parse_digest_key
from auditkit.ledger.verify import verify_ledger
from auditkit.settings import load_settings
from auditkit.sources import ingest
from auditkit.sources.formats import read_conversations
from auditkit.sources.identity import EventIdentity
from auditkit.sources.model import Event
from tests.conftest import PASSPHRASE, Cli
from tests.factories import make_conversation, write_jsonl


def plain_keys(events: Sequence[Event]) -> list[str]:
    """The keys of events without a source id before issue 18, written from the documented
    format (docs/import-format.md), not with auditkit's code: ``sha256:<hex>:<n>``."""
    seen: Counter[str] = Counter()
    keys = []
    for event in events:
        content = json.dumps(
            [str(event.type), event.at.isoformat(), event.data],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        seen[digest] += 1
        keys.append(f"sha256:{digest}:{seen[digest]}")
    return keys


def _conversation(key: str, messages: int = 3) -> dict[str, Any]:
    conversation = make_conversation(key, messages=messages)
    # A guessable value: anyone could test "was this address in the conversation?"
    # against a plain digest of the event.
    conversation["events"][1]["text"] = "my address is ada@example.com"
    return conversation


def _event_keys(installation: Installation) -> list[tuple[str, str]]:
    with installation.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT conversation_key, event_key FROM conversation_events ORDER BY seq")
        )
        return [(str(c), str(k)) for c, k in rows]


def _event_record_count(installation: Installation) -> int:
    with installation.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM log_entries WHERE kind NOT IN ('import.run')")
            ).scalar_one()
        )


def _as_before_issue_18(installation: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key imports the way auditkit did before keyed identities (plain SHA-256 only)."""

    def plain_only(events: Sequence[Event], _key: object) -> list[EventIdentity]:
        return [
            EventIdentity(f"id:{e.data['id']}")
            if isinstance(e.data.get("id"), str)
            else EventIdentity(key)
            for e, key in zip(events, plain_keys(events), strict=True)
        ]

    monkeypatch.setattr(ingest, "event_identities", plain_only)


def test_reimport_into_an_installation_keyed_the_old_way_appends_nothing(
    installation: Installation,
    run: Cli,
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [_conversation("c-1"), _conversation("c-2")])
    with monkeypatch.context() as patched:
        _as_before_issue_18(installation, patched)
        ingest.import_files(installation, [path])
    old = _event_keys(installation)
    assert old and all(key.startswith("sha256:") for _, key in old)
    # The installation as it was before this upgrade: no event-digest key, no table for its
    # fingerprint: the schema migrated back to the revision before 0024 (Alembic's own
    # downgrade, so later revisions go too). The upgrade's `auditkit init` creates both.
    settings = installation.settings
    settings.event_key_path.unlink()
    config = alembic_config(installation.engine)
    with installation.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0022")
        assert not inspect(conn).has_table("installation_keys")
    installation.engine.dispose()
    run("init")
    assert settings.event_key_path.is_file()
    before = _event_record_count(installation)

    result = run("import", str(path))
    assert "nothing new" in result.output, result.output
    assert _event_record_count(installation) == before  # only the run's own import.run
    assert _event_keys(installation) == old

    # A grown file: the new event (and only it) is appended, keyed with the HMAC.
    grown = _conversation("c-1", messages=4)
    path_b = write_jsonl(tmp_path / "b.jsonl", [grown, _conversation("c-2")])
    run("import", str(path_b))
    added = _event_keys(installation)[len(old) :]
    assert [c for c, _ in added] == ["c-1", "c-1"]  # the fourth message and the new resolve
    assert all(key.startswith("hmac:") for _, key in added)
    after = _event_record_count(installation)
    run("import", str(path_b))
    run("import", str(path))
    assert _event_record_count(installation) == after
    reopened = Installation.open(load_settings(env))
    try:
        assert verify_ledger(reopened).ok
    finally:
        reopened.engine.dispose()


def _fresh(home: Path) -> Installation:
    env = {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_DATABASE_URL": f"sqlite:///{home.parent / (home.name + '.db')}",
        "AUDITKIT_KEY_PASSPHRASE": PASSPHRASE,
        "AUDITKIT_ACTOR": "tester",
    }
    initialise(load_settings(env))
    return Installation.open(load_settings(env))


def test_keyed_digests_differ_between_installations_and_confirm_no_guess(
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [_conversation("c-1")])
    (item,) = read_conversations(path, None)
    plain = plain_keys(item.conversation.events)
    first, second = _fresh(tmp_path / "one"), _fresh(tmp_path / "two")
    try:
        keys = []
        for installation in (first, second):
            ingest.import_files(installation, [path])
            keys.append([k for _, k in _event_keys(installation)])
            with installation.engine.connect() as conn:
                entries = b"".join(
                    bytes(e) for (e,) in conn.execute(text("SELECT entry FROM log_entries"))
                )
            # No plain digest of any event (the e-mail address's among them) is stored.
            for key in plain:
                assert key.split(":")[1].encode() not in entries
        assert len(keys[0]) == len(keys[1]) == len(plain)
        assert all(k.startswith("hmac:") for k in keys[0] + keys[1])
        assert not set(keys[0]) & set(keys[1])
        assert [k.rsplit(":", 1)[1] for k in keys[0]] == [k.rsplit(":", 1)[1] for k in plain]
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_the_event_digest_key_is_in_no_export_bundle(
    installation: Installation, run: Cli, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [_conversation("c-1")])
    run("import", str(path))
    out = tmp_path / "bundle"
    run("export", "--out", str(out), "--transcripts-pdf")
    key = parse_digest_key(installation.settings.event_key_path.read_text(encoding="utf-8"))
    forms = [
        key.secret,
        key.encoded().encode(),
        base64.urlsafe_b64encode(key.secret),
        key.secret.hex().encode(),
        key.secret.hex().upper().encode(),
    ]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "records.jsonl" for p in files)
    for file in files:
        data = file.read_bytes()
        for form in forms:
            assert form not in data, f"{file} holds the event digest key"


def test_a_lost_or_swapped_event_digest_key_is_refused_before_anything_is_appended(
    installation: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [_conversation("c-1")])
    ingest.import_files(installation, [path])
    before = _event_record_count(installation)
    settings = installation.settings
    kept = settings.event_key_path.read_text(encoding="utf-8")
    settings.event_key_path.unlink()
    lost = Installation.open(settings)
    with pytest.raises(SealingError, match="restore"):
        ingest.import_files(lost, [write_jsonl(tmp_path / "b.jsonl", [_conversation("c-9")])])
    lost.engine.dispose()
    other = base64.b64encode(b"\x01" * 32).decode()
    swapped = Installation.open(dataclasses.replace(settings, event_key_text=other))
    with pytest.raises(SealingError, match="is not this installation's"):
        ingest.import_files(swapped, [path])
    swapped.engine.dispose()
    assert _event_record_count(installation) == before
    settings.event_key_path.write_text(kept, encoding="utf-8")
    ingest.import_files(Installation.open(settings), [path])
    assert _event_record_count(installation) == before


def test_an_installation_without_a_recorded_key_asks_for_init(installation: Installation) -> None:
    with installation.engine.begin() as conn:
        conn.execute(text("DELETE FROM installation_keys"))
    fresh = Installation.open(installation.settings)
    with pytest.raises(NotInitialised, match="auditkit init"):
        fresh.event_digest_key()
    fresh.engine.dispose()
