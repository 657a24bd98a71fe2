"""A demo installation for reports: conversations imported, checks run, reviews submitted."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from auditkit.accounts import users as accounts
from auditkit.accounts.users import User
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.periods import utc_now
from auditkit.review import queue as review_queue
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID, available_rubrics
from auditkit.review.sampling import SamplingMethod
from auditkit.sources.ingest import import_files
from tests.factories import DATA
from tests.templates import Stage

DEMO = DATA / "demo" / "conversations.jsonl"
PASSWORD = "correct-horse-battery"
# Ratings by agent, so agents differ from the team on some criteria.
GOOD = {
    "rating.problem-understanding": "5",
    "rating.guidance-effectiveness": "5",
    "rating.tone-consistency": "3",
    "rating.proactive-information": "3",
    "rating.closure-confirmation": "pass",
    "rating.identity-verified": "pass",
    "rating.consent-recorded": "pass",
    "rating.sensitive-data-handling": "pass",
}
WEAK = [
    {**GOOD, "rating.guidance-effectiveness": "2", "rating.proactive-information": "1"},
    {**GOOD, "rating.guidance-effectiveness": "3", "rating.proactive-information": "1"},
    {**GOOD, "rating.guidance-effectiveness": "4", "rating.proactive-information": "2"},
    {**GOOD, "rating.proactive-information": "0", "rating.consent-recorded": "fail"},
]


def pdf_text(path: Path) -> str:
    """The text of a PDF, as ``pdftotext`` extracts it."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def first_page_png(pdf: Path) -> Path:
    """Render the first page of a PDF with ``pdftoppm`` (kept beside it) to be looked at."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install poppler-utils")
    stem = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG")
    return png


@dataclass
class ReportWorld:
    """The demo installation with results, reviews and marked examples."""

    installation: Installation
    reviewer: User
    reviewed: list[str]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with the cheapest parameters."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)


def _build_demo(installation: Installation) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)


@pytest.fixture
def installation_stage(request: pytest.FixtureRequest) -> Stage:
    """Tests using ``demo`` start from a copied template that holds it already."""
    if "demo" in request.fixturenames:
        return Stage("reports-demo", _build_demo)
    return Stage("initialised")


@pytest.fixture
def demo(installation: Installation) -> Installation:
    """The demo conversations imported and every policy run over them."""
    return installation


@pytest.fixture
def reviewed(demo: Installation) -> ReportWorld:
    """Every demo conversation reviewed by rita; agent-amara's marked as coaching examples."""
    installation = demo
    admin = accounts.add_user(
        installation, username="ada", display_name="Ada", role="admin", password=PASSWORD
    )
    rita = accounts.add_user(
        installation, username="rita", display_name="Rita", role="qa_reviewer", password=PASSWORD
    )
    (rubric,) = [r for r in available_rubrics(installation) if r.id == DEFAULT_RUBRIC_ID]
    review_queue.sample_and_assign(
        installation,
        admin,
        review_queue.SampleRequest(
            method=SamplingMethod("random"),
            size=12,
            filters=frozenset(),
            rubric_hash=rubric.content_hash,
            reviewer_ids=(rita.id,),
            due_on=(utc_now() + timedelta(days=7)).date(),
            seed="fixed",
        ),
    )
    done: list[str] = []
    weak = 0
    for assignment in review_queue.my_queue(installation, rita):
        with read_transaction(installation.engine) as conn:
            (conversation,) = load_conversations(
                conn, [assignment.conversation_key], master=installation.master_key()
            )
        agents = {p.id for p in conversation.participants.values() if p.role == "agent"}
        amara = "agent-amara" in agents
        examples: tuple[workspaces.ExampleInput, ...] = ()
        if amara:
            said = [
                e.seq
                for e in conversation.events
                if e.kind == "message" and e.body.get("author") == "agent-amara"
            ]
            asked = [
                e.seq
                for e in conversation.events
                if e.kind == "message" and conversation.role_of(e.body.get("author")) == "customer"
            ]
            examples = (
                workspaces.ExampleInput(
                    first_seq=str(asked[0]),
                    last_seq=str(said[0]),
                    label="needs_work",
                    criterion="proactive-information",
                    note="Tell the customer what happens next before asking for details.",
                ),
            )
        ratings = GOOD
        if amara:
            ratings, weak = WEAK[weak % len(WEAK)], weak + 1
        submissions.submit_review(
            installation,
            rita,
            assignment.id,
            workspaces.DraftInput(
                ratings={k.removeprefix("rating."): v for k, v in ratings.items()},
                summary="Reviewed for the report tests.",
                examples=examples,
            ),
        )
        done.append(assignment.conversation_key)
    return ReportWorld(installation=installation, reviewer=rita, reviewed=done)
