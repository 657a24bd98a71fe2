"""Sealed storage, erasure by crypto-shredding, legal holds, retention and key handling."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.errors import AuditkitError
from auditkit.ledger.export.bundle import ExportScope, export_bundle
from auditkit.ledger.export.bundle_verifier import verify_bundle
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.sealing.cipher import ERASED, SealingError
from auditkit.ledger.sealing.data_keys import SubjectErased
from auditkit.ledger.verify import verify_ledger
from auditkit.privacy.erasure import (
    ErasureRefused,
    add_hold,
    apply_retention,
    erase_subject,
    remove_hold,
    rotate_master_key,
)
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA

DEMO = DATA / "demo" / "conversations.jsonl"
SUBJECT = "cust-maria-gonzalez"
CONVERSATION = "nb-2024-10431"
SECRET_TEXT = "Lumen Electronics"  # only in this subject's messages


@pytest.fixture
def sealed_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "AUDITKIT_SEALING": "on"}


@pytest.fixture
def sealed(sealed_env: dict[str, str]) -> Installation:
    initialise(load_settings(sealed_env))
    installation = Installation.open(load_settings(sealed_env))
    import_files(installation, [DEMO])
    return installation


def _raw_entries(installation: Installation) -> bytes:
    with installation.engine.connect() as conn:
        return b"".join(bytes(e) for (e,) in conn.execute(text("SELECT entry FROM log_entries")))


def test_personal_content_is_sealed_in_the_log_and_readable_through_auditkit(
    sealed: Installation,
) -> None:
    raw = _raw_entries(sealed)
    assert SECRET_TEXT.encode() not in raw
    assert "María González".encode() not in raw
    with sealed.engine.connect() as conn:
        (conversation,) = load_conversations(conn, [CONVERSATION], master=sealed.master_key())
    texts = " ".join(e.body.get("text", "") for e in conversation.events)
    assert SECRET_TEXT in texts
    assert conversation.participants[SUBJECT].name == "María González"
    assert verify_ledger(sealed).ok


def test_erase_then_verify_and_export_still_verify(sealed: Installation, tmp_path: Path) -> None:
    export_bundle(sealed, tmp_path / "before", ExportScope(conversations=(CONVERSATION,)))
    result = erase_subject(sealed, SUBJECT, reason="GDPR art. 17 request #88")
    assert CONVERSATION in result.conversations and result.messages_purged > 0
    report = verify_ledger(sealed)
    assert report.ok, report.problems
    verify_bundle(tmp_path / "before")
    export_bundle(sealed, tmp_path / "after", ExportScope(conversations=(CONVERSATION,)))
    verify_bundle(tmp_path / "after")
    with sealed.engine.connect() as conn:
        (conversation,) = load_conversations(conn, [CONVERSATION], master=sealed.master_key())
        texts = {
            t
            for (t,) in conn.execute(
                text("SELECT text FROM messages WHERE conversation_key = :k"), {"k": CONVERSATION}
            )
        }
        erasures = [
            json.loads(bytes(e))["body"]
            for (e,) in conn.execute(text("SELECT entry FROM log_entries WHERE kind = 'erasure'"))
        ]
    assert {e.body.get("text") for e in conversation.events if e.kind == "message"} == {ERASED}
    assert conversation.participants[SUBJECT].name == ERASED
    assert texts == {ERASED}
    # The reason is sealed under the subject's key (shredded with it); the subject stays clear.
    assert erasures[0]["subject"] == SUBJECT and "reason" not in erasures[0]
    assert erasures[0]["sealed"]["subject"] == SUBJECT


def test_no_clear_text_of_an_erased_subject_remains_in_the_sqlite_file(tmp_path: Path) -> None:
    env = {
        "AUDITKIT_HOME": str(tmp_path / "home"),
        "AUDITKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'erase.db'}",
        "AUDITKIT_KEY_PASSPHRASE": "a test passphrase",
        "AUDITKIT_SEALING": "on",
    }
    initialise(load_settings(env))
    installation = Installation.open(load_settings(env))
    import_files(installation, [DEMO])
    with installation.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = (tmp_path / "erase.db").read_bytes()
    assert SECRET_TEXT.encode() in before  # the query table held clear text
    erase_subject(installation, SUBJECT, reason="request")
    installation.engine.dispose()
    files = [p for p in tmp_path.glob("erase.db*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for needle in (SECRET_TEXT, "María González", "maria.gonzalez@example.com"):
            assert needle.encode() not in data, f"{needle!r} still in {path.name}"


def test_erasure_under_legal_hold_is_refused_until_the_hold_is_removed(
    sealed: Installation,
) -> None:
    hold = add_hold(sealed, conversation=CONVERSATION, reason="litigation 2024-17")
    with pytest.raises(ErasureRefused, match="legal hold"):
        erase_subject(sealed, SUBJECT, reason="request")
    assert verify_ledger(sealed).ok
    remove_hold(sealed, hold.id, reason="case closed")
    erase_subject(sealed, SUBJECT, reason="request")
    with pytest.raises(ErasureRefused, match="already erased"):
        erase_subject(sealed, SUBJECT, reason="again")


@pytest.mark.parametrize(
    ("subject", "reason", "error"),
    [("nobody", "r", "no data subject"), (SUBJECT, "  ", "needs a reason")],
)
def test_bad_erasure_requests_are_refused(
    sealed: Installation, subject: str, reason: str, error: str
) -> None:
    with pytest.raises(AuditkitError, match=error):
        erase_subject(sealed, subject, reason=reason)


def test_new_personal_content_for_an_erased_subject_is_refused(sealed: Installation) -> None:
    erase_subject(sealed, SUBJECT, reason="request")
    with pytest.raises(SubjectErased):
        import_files(
            sealed, [DEMO.parent / "conversations.jsonl"], fmt="jsonl"
        ) if False else _append_message(sealed)


def _append_message(installation: Installation) -> None:
    from auditkit.ledger.append import append_records
    from auditkit.ledger.records import RecordDraft, RecordKind

    append_records(
        installation,
        [
            RecordDraft(
                kind=RecordKind.MESSAGE,
                conversation=CONVERSATION,
                occurred_at=datetime.now(UTC),
                body={"event_key": "x", "author": SUBJECT, "text": "hello again"},
            )
        ],
    )


def test_retention_erases_expired_subjects_and_skips_held_ones(
    sealed_env: dict[str, str], tmp_path: Path
) -> None:
    home = Path(sealed_env["AUDITKIT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text("[[retention]]\ndays = 30\n", encoding="utf-8")
    initialise(load_settings(sealed_env))
    installation = Installation.open(load_settings(sealed_env))
    import_files(installation, [DEMO])
    add_hold(installation, subject=SUBJECT, reason="litigation")
    dry = apply_retention(installation, dry_run=True, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert dry.erased and SUBJECT in dry.held
    with installation.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM log_entries WHERE kind = 'erasure'")
            ).scalar_one()
            == 0
        )
    early = apply_retention(installation, dry_run=True, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert not early.erased
    done = apply_retention(installation, dry_run=False, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert done.erased == dry.erased
    assert verify_ledger(installation).ok


def test_master_key_rotation_rewraps_and_old_content_still_reads(
    sealed: Installation, sealed_env: dict[str, str]
) -> None:
    old, new, count = rotate_master_key(sealed)
    assert old != new and count >= 10
    reopened = Installation.open(load_settings(sealed_env))
    with reopened.engine.connect() as conn:
        (conversation,) = load_conversations(conn, [CONVERSATION], master=reopened.master_key())
    assert any(SECRET_TEXT in e.body.get("text", "") for e in conversation.events)
    assert verify_ledger(reopened).ok


def test_a_lost_master_key_is_refused_at_start(
    sealed: Installation, sealed_env: dict[str, str]
) -> None:
    Path(sealed.settings.master_key_path).unlink()
    reopened = Installation.open(load_settings(sealed_env))
    with pytest.raises(SealingError, match="no master key"):
        reopened.master_key()
    with pytest.raises(SealingError, match="no master key"):
        initialise(load_settings(sealed_env))  # never silently replaced


def test_a_wrong_master_key_is_refused_at_start(
    sealed: Installation, sealed_env: dict[str, str]
) -> None:
    from auditkit.ledger.sealing.cipher import generate_master_key

    reopened = Installation.open(
        load_settings({**sealed_env, "AUDITKIT_MASTER_KEY": generate_master_key().encoded()})
    )
    with pytest.raises(SealingError, match="not the one that wrapped"):
        reopened.master_key()
