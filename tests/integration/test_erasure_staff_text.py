"""After ``auditkit erase``, what reviewers typed about the subject (comments, rating notes,
summaries, example notes, dispute comments and answers, spot-check notes, reveal reasons,
AutoQA flag notes, drafts, legal-hold reasons and their release reasons, the erasure's own
reason) and the refused webhook bodies naming them are in no byte of the database file or
its WAL, while the trail of who did what stays and verifies. Records an older version wrote
with that text in clear are named by the erasure, not silently kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from auditkit.accounts import users as accounts
from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.results import autoqa_results, flag_wrong
from auditkit.cli import cli
from auditkit.db.engine import read_transaction, write_transaction
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import AppendBatch
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import load_conversations, record_body
from auditkit.ledger.records import format_time
from auditkit.ledger.verify import verify_ledger
from auditkit.periods import utc_now
from auditkit.privacy import erasure
from auditkit.quality import dashboard, disputes
from auditkit.review import queue as review_queue
from auditkit.review import submission, transcript
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID, available_rubrics
from auditkit.review.sampling import SamplingMethod
from auditkit.settings import load_settings
from auditkit.sources import webhooks
from auditkit.sources.erasure import REJECTION_RETENTION, expire_refused_payloads
from auditkit.sources.ingest import import_files
from tests.conftest import PASSPHRASE
from tests.factories import DATA

KEY = "nb-2024-10447"
SUBJECT = "cust-daniel-osei"
TYPED = "Daniel Osei (d.osei84@example.net, +44 7700 900456) gave DOB 12/02/1984 and 22 Larch Road"
DETAILS = ("Daniel Osei", "d.osei84@example.net", "7700 900456", "12/02/1984", "22 Larch Road")
PASSWORD = "correct-horse-battery"
GOOD = {
    "problem-understanding": "5",
    "guidance-effectiveness": "5",
    "tone-consistency": "3",
    "proactive-information": "3",
    "closure-confirmation": "pass",
    "identity-verified": "pass",
    "consent-recorded": "pass",
    "sensitive-data-handling": "pass",
}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)


@pytest.fixture
def sealed(tmp_path: Path) -> Iterator[tuple[Installation, dict[str, str]]]:
    """A sealed SQLite installation whose staff typed the subject's details everywhere."""
    env = {
        "AUDITKIT_HOME": str(tmp_path / "home"),
        "AUDITKIT_KEY_PASSPHRASE": PASSPHRASE,
        "AUDITKIT_ACTOR": "tester",
        "AUDITKIT_SEALING": "on",
        "AUDITKIT_PASSWORD": PASSWORD,  # the officers' (the erasure steps sign in)
    }
    initialise(load_settings(env))
    installation = Installation.open(load_settings(env))
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    people = {
        name: accounts.add_user(
            installation, username=name, display_name=name, role=role, password=PASSWORD
        )
        for name, role in (
            ("ada", "admin"),
            ("rita", "qa_reviewer"),
            ("cole", "coach"),
            ("cora", "compliance_officer"),
            ("dora", "compliance_officer"),
        )
    }
    (rubric,) = [r for r in available_rubrics(installation) if r.id == DEFAULT_RUBRIC_ID]
    review_queue.sample_and_assign(
        installation,
        people["ada"],
        review_queue.SampleRequest(
            method=SamplingMethod("random"),
            size=12,
            filters=frozenset(),
            rubric_hash=rubric.content_hash,
            reviewer_ids=(people["rita"].id,),
            due_on=(utc_now() + timedelta(days=7)).date(),
            seed="fixed",
        ),
    )
    rita = people["rita"]
    (assignment,) = [
        a for a in review_queue.my_queue(installation, rita) if a.conversation_key == KEY
    ]
    with read_transaction(installation.engine) as conn:
        (conversation,) = load_conversations(conn, [KEY], master=installation.master_key())
    messages = [e.seq for e in conversation.events if e.kind == "message"]
    transcript.reveal(installation, rita, KEY, f"Complaint follow-up: {TYPED}")
    submission.add_comment(installation, rita, assignment.id, str(messages[0]), TYPED)
    review_seq = submission.submit_review(
        installation,
        rita,
        assignment.id,
        workspaces.DraftInput(
            ratings=GOOD,
            notes={"tone-consistency": TYPED},
            summary=TYPED,
            examples=(
                workspaces.ExampleInput(
                    first_seq=str(messages[0]),
                    last_seq=str(messages[1]),
                    label="needs_work",
                    criterion="proactive-information",
                    note=TYPED,
                ),
            ),
        ),
    ).seq
    dispute = disputes.open_dispute(
        installation,
        people["cole"],
        review_seq,
        comment=TYPED,
        proposed={"tone-consistency": "2"},
    )
    disputes.resolve_dispute(
        installation, rita, dispute, decision="rejected", response=f"No: {TYPED}"
    )
    dashboard.check_review(
        installation, people["ada"], review_seq, verdict="right", root_cause="none", note=TYPED
    )
    workspaces.start_revision(installation, rita, assignment.id)  # a draft holding the notes
    autoqa_service.score_conversations(installation, [KEY])
    (automatic,) = autoqa_results(installation, conversation_ids=[KEY])
    flag_wrong(
        installation,
        conversation_id=KEY,
        rubric_hash=automatic.rubric_hash,
        criterion_id="tone-consistency",
        actor="rita",
        note=TYPED,
    )
    # Holds on the conversation and on the subject, with the details in every reason, released
    # again (a hold in force would refuse the erasure).
    for where in ({"conversation": KEY}, {"subject": SUBJECT}):
        hold = erasure.add_hold(installation, reason=f"case 2024-117: {TYPED}", **where)
        erasure.remove_hold(installation, hold.id, reason=f"settled, {TYPED}")
    webhooks.record_rejection(
        installation,
        source="main",
        status=422,
        reason="account_id: is required",
        body=b'{"event":"message_created","sender":{"name":"Daniel Osei",'
        b'"email":"d.osei84@example.net","phone_number":"+447700900456"}}',
    )
    webhooks.record_rejection(
        installation,
        source="main",
        status=400,
        reason="body is not JSON",
        body=b"from someone else entirely",
    )
    yield installation, env
    installation.engine.dispose()


def _database_bytes(installation: Installation) -> bytes:
    path = Path(installation.engine.url.database or "")
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_staff_text_is_sealed_in_the_log_before_any_erasure(
    sealed: tuple[Installation, dict[str, str]],
) -> None:
    installation, _env = sealed
    with read_transaction(installation.engine) as conn:
        entries = conn.exec_driver_sql(
            "SELECT entry FROM log_entries WHERE kind IN "
            "('review', 'review.comment', 'review.dispute', 'review.grader_check', 'access',"
            " 'autoqa.flag', 'legal_hold.added', 'legal_hold.removed')"
        ).all()
    stored = b"".join(bytes(entry) for (entry,) in entries)
    assert b"Larch Road" not in stored and b"12/02/1984" not in stored
    # The query tables hold them opened, as the sealed records replay.
    report = verify_ledger(installation)
    assert report.ok, report.problems


def test_after_erasure_no_byte_of_the_database_holds_what_staff_typed_about_the_subject(
    sealed: tuple[Installation, dict[str, str]],
) -> None:
    installation, env = sealed
    before = _database_bytes(installation)
    assert b"Larch Road" in before  # the query tables hold it in clear until the erasure
    reason = f"Article 17 request 7731 from {TYPED}"
    for args in (
        ["erasure", "request", "--subject", SUBJECT, "--reason", reason],
        ["erasure", "approve", "1", "--as", "dora"],
        ["erase", "--request", "1"],
    ):
        result = CliRunner().invoke(cli, args, env={**env, "AUDITKIT_ACTOR": "cora"})
        assert result.exit_code == 0, result.output
        assert "warning" not in result.output  # nothing of the subject is clear in the log
    after = _database_bytes(installation)
    for detail in DETAILS:
        assert detail.encode() not in after, detail
    assert b"+447700900456" not in after
    assert all(h.reason for h in erasure.list_holds(installation)) is True  # none in force
    # Someone else's refused payload stays; the subject's is gone.
    assert [r.reason for r in webhooks.rejected_payloads(installation)] == ["body is not JSON"]
    # The trail stands: the records are all there, erased, and the log verifies.
    report = verify_ledger(installation)
    assert report.ok, report.problems
    with read_transaction(installation.engine) as conn:
        (seq,) = conn.exec_driver_sql(
            "SELECT seq FROM log_entries WHERE kind = 'access' AND conversation_key = ?", (KEY,)
        ).one()
        reveal = record_body(conn, seq, master=installation.master_key())
    assert reveal["reason"] == "[erased]" and reveal["actor"] == "rita"
    # The erasure's and the holds' reasons read as erased; their references stay for the
    # auditor, and the hold table keeps no reason either.
    with read_transaction(installation.engine) as conn:
        rows = conn.exec_driver_sql(
            "SELECT seq, kind FROM log_entries WHERE kind IN "
            "('erasure', 'legal_hold.added', 'legal_hold.removed') ORDER BY seq"
        ).all()
        bodies = {
            seq: (kind, record_body(conn, seq, master=installation.master_key()))
            for seq, kind in rows
        }
        hold_reasons = {r for (r,) in conn.exec_driver_sql("SELECT reason FROM legal_holds")}
    assert [kind for kind, _ in bodies.values()].count("legal_hold.added") == 2
    assert {body["reason"] for _, body in bodies.values()} == {"[erased]"}
    erased_by = [body for kind, body in bodies.values() if kind == "erasure"]
    assert erased_by[0]["references"] == ["request 7731"]
    added = [body for kind, body in bodies.values() if kind == "legal_hold.added"]
    assert all(body["references"] == ["case 2024-117"] for body in added)
    assert hold_reasons == {"[erased]"}


def test_refused_payloads_expire_after_the_documented_period(
    sealed: tuple[Installation, dict[str, str]],
) -> None:
    installation, _env = sealed
    assert len(webhooks.rejected_payloads(installation)) == 2
    assert expire_refused_payloads(installation) == 0
    later = utc_now() + REJECTION_RETENTION + timedelta(seconds=1)
    assert expire_refused_payloads(installation, now=later) == 2
    assert webhooks.rejected_payloads(installation) == []
    assert b"+447700900456" not in _database_bytes(installation)  # only the payload had it


def test_records_an_older_version_wrote_in_clear_are_named_by_the_erasure(
    sealed: tuple[Installation, dict[str, str]],
) -> None:
    installation, env = sealed
    # What a version before staff-text sealing appended: a reveal whose reason is clear.
    with write_transaction(installation.engine) as conn:
        batch = AppendBatch(conn, recorded_at=format_time(utc_now()), data_keys=None)
        (old,) = batch.append(
            [
                access_record(
                    AccessAction.REVEAL,
                    actor="rita",
                    occurred_at=utc_now(),
                    conversation=KEY,
                    reason=f"old version: {TYPED}",
                )
            ]
        )
        batch.sign(installation.signer(), installation.origin)
    for args in (
        ["erasure", "request", "--subject", SUBJECT, "--reason", "Article 17 request 7731"],
        ["erasure", "approve", "1", "--as", "dora"],
        ["erase", "--request", "1"],
    ):
        result = CliRunner().invoke(cli, args, env={**env, "AUDITKIT_ACTOR": "cora"})
        assert result.exit_code == 0, result.output
    assert "1 record(s) of this subject were written with their personal text in clear" in (
        result.output
    )
    assert f"seq {old.seq}." in result.output
    # Exactly that record: the bound is the log's append-only rule, nothing else.
    assert b"old version: Daniel Osei" in _database_bytes(installation)
    assert b"12/02/1984 and 22 Larch Road" not in _database_bytes(installation).replace(
        f"old version: {TYPED}".encode(), b""
    )
    assert verify_ledger(installation).ok


def test_a_hold_placed_after_the_erasure_keeps_only_its_references(
    sealed: tuple[Installation, dict[str, str]],
) -> None:
    installation, _env = sealed
    erasure.erase_subject(installation, SUBJECT, reason="Article 17 request 7731")
    hold = erasure.add_hold(installation, subject=SUBJECT, reason=f"case 2024-118: {TYPED}")
    assert hold.reason == "[erased]"
    erasure.remove_hold(installation, hold.id, reason=f"closed, {TYPED}")
    after = _database_bytes(installation)
    for detail in DETAILS:
        assert detail.encode() not in after, detail
    with read_transaction(installation.engine) as conn:
        body = record_body(conn, _last_seq(installation, "legal_hold.added"), master=None)
    assert body["reason"] == "[erased]" and body["references"] == ["case 2024-118"]
    assert verify_ledger(installation).ok


def _last_seq(installation: Installation, kind: str) -> int:
    with read_transaction(installation.engine) as conn:
        (seq,) = conn.exec_driver_sql(
            "SELECT max(seq) FROM log_entries WHERE kind = ?", (kind,)
        ).one()
    return int(seq)
