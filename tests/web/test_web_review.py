"""Scoring: the form generated from the rubric, drafts and autosave, comments on messages,
coaching examples, signed submission, new versions, and every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from auditkit.ledger.reader import record_body
from auditkit.ledger.tables import conversations, log_entries
from auditkit.ledger.verify import verify_ledger
from auditkit.review import queue as review_queue
from auditkit.review.tables import (
    coaching_examples,
    review_assignments,
    review_comments,
    review_drafts,
    review_scores,
    reviews,
)
from tests.web.conftest import Web, World, text

KEY = "nb-2024-10431"
TOP = {
    "rating.problem-understanding": "5",
    "rating.guidance-effectiveness": "4",
    "rating.tone-consistency": "3",
    "rating.proactive-information": "2",
    "rating.closure-confirmation": "pass",
    "rating.identity-verified": "pass",
    "rating.consent-recorded": "pass",
    "rating.sensitive-data-handling": "pass",
}


@pytest.fixture
def assignment(world: World) -> review_queue.Assignment:
    """Rita's assignment of the conversation with known personal data."""
    items = world.assign("rita", size=12)
    return next(a for a in items if a.conversation_key == KEY)


def message_seqs(world: World, key: str = KEY) -> list[int]:
    with world.installation.engine.connect() as conn:
        rows = conn.execute(
            select(log_entries.c.seq)
            .where(log_entries.c.conversation_key == key)
            .where(log_entries.c.kind.in_(["message", "internal_note"]))
            .order_by(log_entries.c.seq)
        )
        return [seq for (seq,) in rows]


def records(world: World, kind: str) -> list[tuple[int, dict[str, object]]]:
    """The records of ``kind``, their sealed staff text opened (they are stored sealed)."""
    master = world.installation.master_key()
    with world.installation.engine.connect() as conn:
        rows = conn.execute(
            select(log_entries.c.seq, log_entries.c.entry)
            .where(log_entries.c.kind == kind)
            .order_by(log_entries.c.seq)
        ).all()
        return [(seq, record_body(conn, seq, master=master)) for seq, _entry in rows]


def raw_entries(world: World, kind: str) -> bytes:
    """The stored bytes of every record of ``kind``."""
    with world.installation.engine.connect() as conn:
        rows = conn.execute(select(log_entries.c.entry).where(log_entries.c.kind == kind)).all()
    return b"".join(bytes(entry) for (entry,) in rows)


def count(world: World, table: object) -> int:
    with world.installation.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


def test_the_form_is_generated_from_the_rubric(
    web: Callable[[str | None], Web], assignment: review_queue.Assignment
) -> None:
    page = text(web("rita").get(f"/reviews/{assignment.id}"))
    for name in TOP:
        assert f'name="{name}"' in page
    assert 'name="rating.proactive-information" value="na"' in page  # N/A allowed there
    assert 'name="rating.problem-understanding" value="na"' not in page
    assert "Clarity of problem understanding" in page and "weight 25" in page
    assert "Understood and confirmed the whole problem at once" in page  # level descriptions
    assert "María" not in page  # redacted here too


def test_submitting_appends_a_signed_review_record(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    form = {**TOP, "summary": "Good handling.", "note.tone-consistency": "warm throughout"}
    response = client.post(f"/reviews/{assignment.id}/submit", form)
    assert response.status_code == 302
    ((seq, body),) = records(world, "review")
    assert response.headers["Location"] == f"/review-records/{seq}"
    assert body["score"] == "87.50" and body["version"] == 1 and body["supersedes"] is None
    assert body["reviewer"] == "rita" and body["agent"] == "agent-amara"
    assert body["rubric"]["content_hash"] == world.rubric_hash  # type: ignore[index]
    assert body["critical_failures"] == []
    ratings = {r["criterion"]: r for r in body["ratings"]}  # type: ignore[attr-defined]
    assert ratings["proactive-information"]["score"] == "66.67"
    assert ratings["tone-consistency"]["note"] == "warm throughout"
    # Stored sealed under the conversation's subject, like the messages it is about.
    assert b"warm throughout" not in raw_entries(world, "review")
    assert b"Good handling." not in raw_entries(world, "review")
    with world.installation.engine.connect() as conn:
        last = conn.execute(
            select(conversations.c.last_seq).where(conversations.c.conversation_key == KEY)
        ).scalar()
    assert body["conversation_last_seq"] == last  # the conversation as it was reviewed
    report = verify_ledger(world.installation)
    assert report.ok, report.problems
    page = text(client.get(response.headers["Location"]))
    assert "87.5" in page and "signed record" in page and "Good handling." in page
    with world.installation.engine.connect() as conn:
        status = conn.execute(select(review_assignments.c.status)).scalars().all()
    assert "submitted" in status
    assert count(world, review_scores) == 8 and count(world, review_drafts) == 0
    assert KEY not in text(client.get("/queue"))


def test_the_review_shows_in_the_conversation_history_for_every_role(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    web("rita").post(f"/reviews/{assignment.id}/submit", TOP)
    for user in ("rita", "cora", "cole", "ada"):
        page = text(web(user).get(f"/conversations/{KEY}"))
        assert "v1 by rita" in page and "87.5" in page, user


def test_a_critical_failure_zeroes_the_review(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    web("rita").post(
        f"/reviews/{assignment.id}/submit", {**TOP, "rating.identity-verified": "fail"}
    )
    ((_seq, body),) = records(world, "review")
    assert body["score"] == "0.00" and body["critical_failures"] == ["identity-verified"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rating.tone-consistency": ""}, "rate “Tone consistency”"),
        ({"rating.tone-consistency": "7"}, "'7' is not a level of “Tone consistency”"),
        (
            {"rating.problem-understanding": "na"},
            "“Clarity of problem understanding” cannot be N/A",
        ),
        ({"rating.made-up": "1"}, "made-up: not a criterion of this rubric"),
        ({"summary": "x" * 10_001}, "summary: longer than 10000 characters"),
        ({"seen_last_seq": "1"}, "the conversation has new events since you opened it"),
    ],
)
def test_a_bad_submission_is_refused_with_a_clear_message_and_stores_nothing(
    web: Callable[[str | None], Web],
    world: World,
    assignment: review_queue.Assignment,
    changes: dict[str, str],
    message: str,
) -> None:
    client = web("rita")
    response = client.post(f"/reviews/{assignment.id}/submit", {**TOP, **changes})
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was saved." in page and message in page
    assert 'name="rating.closure-confirmation" value="pass" checked' in page  # kept as typed
    assert records(world, "review") == [] and count(world, reviews) == 0
    assert count(world, review_drafts) == 0


def test_drafts_save_and_come_back(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    response = client.post(
        f"/reviews/{assignment.id}/draft",
        {"rating.tone-consistency": "2", "summary": "half done", "action": "save"},
    )
    assert response.status_code == 302
    page = text(client.get(f"/reviews/{assignment.id}"))
    assert 'name="rating.tone-consistency" value="2" checked' in page
    assert "half done" in page and "Draft saved" in page
    assert records(world, "review") == []
    assert "draft" in text(client.get("/queue"))


def test_autosave_answers_json(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    headers = {"Accept": "application/json"}
    ok = client.post(
        f"/reviews/{assignment.id}/draft", {"rating.tone-consistency": "1"}, headers=headers
    )
    assert ok.status_code == 200 and ok.get_json()["saved"] is True
    bad = client.post(
        f"/reviews/{assignment.id}/draft", {"rating.tone-consistency": "9"}, headers=headers
    )
    assert bad.status_code == 400
    assert bad.get_json() == {
        "saved": False,
        "problems": ["tone-consistency: '9' is not a level of “Tone consistency” (0, 1, 2, 3)"],
    }
    with world.installation.engine.connect() as conn:
        content = json.loads(conn.execute(select(review_drafts.c.content)).scalar_one())
    assert content["ratings"] == {"tone-consistency": "1"}  # the bad autosave changed nothing


def test_autosave_needs_the_csrf_token_header_or_field(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    response = client.client.post(
        f"/reviews/{assignment.id}/draft",
        data={"rating.tone-consistency": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and count(world, review_drafts) == 0
    response = client.client.post(
        f"/reviews/{assignment.id}/draft",
        data={"rating.tone-consistency": "1"},
        headers={"Accept": "application/json", "X-CSRFToken": client.token or ""},
    )
    assert response.status_code == 200


def test_comments_are_anchored_to_a_message_and_recorded(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    target = message_seqs(world)[4]
    response = client.post(
        f"/reviews/{assignment.id}/comments",
        {"message_seq": str(target), "text": "Verified first."},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#m-{target}")
    ((seq, body),) = records(world, "review.comment")
    assert body == {
        "review_id": assignment.review_id,
        "assignment": assignment.id,
        "message_seq": target,
        "author": "rita",
        "text": "Verified first.",
    }
    page = text(web("cole").get(f"/conversations/{KEY}"))
    assert "Verified first." in page
    assert page.index(f'id="m-{target}"') < page.index("Verified first.")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"message_seq": "MESSAGE", "text": ""}, "comment: write something"),
        (
            {"message_seq": "0", "text": "on the opening record"},
            "choose a message of this conversation",
        ),
        (
            {"message_seq": "OTHER", "text": "wrong conversation"},
            "choose a message of this conversation",
        ),
        ({"message_seq": "x", "text": "not a number"}, "choose a message of this conversation"),
        ({"message_seq": "MESSAGE", "text": "y" * 4001}, "comment: at most 4000 characters"),
    ],
)
def test_a_bad_comment_is_refused_and_records_nothing(
    web: Callable[[str | None], Web],
    world: World,
    assignment: review_queue.Assignment,
    form: dict[str, str],
    message: str,
) -> None:
    replacements = {
        "MESSAGE": str(message_seqs(world)[0]),
        "OTHER": str(message_seqs(world, "nb-2024-10447")[0]),
    }
    form = {k: replacements.get(v, v) for k, v in form.items()}
    response = web("rita").post(f"/reviews/{assignment.id}/comments", form)
    assert response.status_code == 400 and message in text(response)
    assert records(world, "review.comment") == [] and count(world, review_comments) == 0


def test_coaching_examples_are_added_removed_and_submitted(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    seqs = message_seqs(world)
    example = {
        "action": "add_example",
        "new-example-first": str(seqs[4]),
        "new-example-last": str(seqs[6]),
        "new-example-label": "exemplary",
        "new-example-criterion": "problem-understanding",
        "new-example-note": "textbook verification",
    }
    assert client.post(f"/reviews/{assignment.id}/draft", example).status_code == 302
    page = text(client.get(f"/reviews/{assignment.id}"))
    assert "Exemplary" in page and "#5" in page and "#7" in page and "textbook verification" in page
    kept = {
        "example-count": "1",
        "example-0-first": str(seqs[4]),
        "example-0-last": str(seqs[6]),
        "example-0-label": "exemplary",
        "example-0-criterion": "problem-understanding",
        "example-0-note": "textbook verification",
    }
    second = {
        **kept,
        **example,
        "new-example-label": "needs_work",
        "new-example-first": str(seqs[8]),
    }
    second["new-example-last"] = str(seqs[8])
    client.post(f"/reviews/{assignment.id}/draft", second)
    both = {
        **kept,
        "example-count": "2",
        "example-1-first": str(seqs[8]),
        "example-1-last": str(seqs[8]),
        "example-1-label": "needs_work",
        "example-1-criterion": "problem-understanding",
    }
    client.post(f"/reviews/{assignment.id}/draft", {**both, "action": "remove_example:1"})
    client.post(f"/reviews/{assignment.id}/submit", {**TOP, **kept})
    ((seq, body),) = records(world, "review")
    assert body["coaching_examples"] == [
        {
            "first_seq": seqs[4],
            "last_seq": seqs[6],
            "label": "exemplary",
            "criterion": "problem-understanding",
            "note": "textbook verification",
            "agent": "agent-amara",  # who wrote the marked messages
        }
    ]
    assert count(world, coaching_examples) == 1
    coaching = text(web("cole").get("/coaching?criterion=problem-understanding&label=exemplary"))
    assert "textbook verification" in coaching and "Clarity of problem understanding" in coaching
    assert "María" not in coaching  # examples are redacted


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (
            {"new-example-first": "LAST", "new-example-last": "FIRST"},
            "the first message comes after the last",
        ),
        ({"new-example-first": "0"}, "the messages must belong to this conversation"),
        ({"new-example-label": "great"}, "mark it exemplary or needs work"),
        ({"new-example-criterion": "nope"}, "choose the criterion it illustrates"),
        ({"new-example-first": ""}, "choose the first and last message"),
    ],
)
def test_a_bad_coaching_example_is_refused(
    web: Callable[[str | None], Web],
    world: World,
    assignment: review_queue.Assignment,
    example: dict[str, str],
    message: str,
) -> None:
    seqs = message_seqs(world)
    values = {"FIRST": str(seqs[0]), "LAST": str(seqs[3])}
    form = {
        "action": "add_example",
        "new-example-first": str(seqs[0]),
        "new-example-last": str(seqs[3]),
        "new-example-label": "exemplary",
        "new-example-criterion": "tone-consistency",
    }
    form.update({k: values.get(v, v) for k, v in example.items()})
    response = web("rita").post(f"/reviews/{assignment.id}/draft", form)
    assert response.status_code == 400 and message in text(response)
    assert count(world, review_drafts) == 0


def test_a_change_after_submission_is_a_new_version(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.post(f"/reviews/{assignment.id}/submit", TOP)
    again = client.post(f"/reviews/{assignment.id}/submit", TOP)
    assert again.status_code == 409  # no silent overwrite
    page = text(client.get(f"/reviews/{assignment.id}"))
    assert "Revise (new version)" in page
    assert client.post(f"/reviews/{assignment.id}/revise").status_code == 302
    page = text(client.get(f"/reviews/{assignment.id}"))
    assert "Version 2" in page and 'value="5" checked' in page  # prefilled from version 1
    client.post(f"/reviews/{assignment.id}/submit", {**TOP, "rating.guidance-effectiveness": "5"})
    (first_seq, first), (second_seq, second) = records(world, "review")
    assert first["version"] == 1 and second["version"] == 2
    assert second["supersedes"] == first_seq and second["review_id"] == first["review_id"]
    assert second["score"] == "95.00"
    history = text(client.get(f"/conversations/{KEY}"))
    assert "v2 by rita" in history and "v1 by rita" in history and "superseded" in history
    old = text(client.get(f"/review-records/{first_seq}"))
    assert "superseded" in old and "87.5" in old


def test_nobody_works_on_someone_elses_assignment(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    rob = web("rob")
    assert rob.get(f"/reviews/{assignment.id}").status_code == 403
    assert rob.post(f"/reviews/{assignment.id}/submit", TOP).status_code == 403
    admin = web("ada")
    assert admin.post(f"/reviews/{assignment.id}/draft", TOP).status_code == 403
    assert records(world, "review") == [] and count(world, review_drafts) == 0


def test_a_reviewer_who_took_part_cannot_score_even_if_assigned(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    with world.installation.engine.begin() as conn:
        conn.execute(
            review_assignments.update()
            .where(review_assignments.c.id == assignment.id)
            .values(reviewer_id=world.users["amara"].id)
        )
    amara = web("amara")
    response = amara.get(f"/reviews/{assignment.id}")
    assert response.status_code == 403 and "you took part in this conversation" in text(response)
    assert amara.post(f"/reviews/{assignment.id}/submit", TOP).status_code == 403
    assert records(world, "review") == []


def test_an_unknown_assignment_is_not_found(web: Callable[[str | None], Web]) -> None:
    assert web("rita").get("/reviews/999").status_code == 404
    assert web("rita").get("/review-records/999").status_code == 404


def test_reveal_from_the_workspace_returns_there(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    response = client.post(
        f"/reveal/{KEY}", {"reason": "check the account number", "back": str(assignment.id)}
    )
    assert response.headers["Location"].startswith(f"/reviews/{assignment.id}?reveal=")
    assert "María González" in text(client.get(response.headers["Location"]))
    refused = client.post(f"/reveal/{KEY}", {"reason": "", "back": str(assignment.id)})
    assert refused.status_code == 400 and 'id="review-form"' in text(refused)


@pytest.mark.parametrize(
    ("table", "change", "problem"),
    [
        (review_scores, {"rating": "5", "score": 100.0}, "review_scores: row"),
        (reviews, {"score": 99.0}, "query table reviews: row"),
        (review_comments, {"text": "Never verified."}, "review_comments: row"),
        (coaching_examples, {"label": "needs_work"}, "coaching_examples: row"),
    ],
    ids=["score", "iqs", "comment", "example"],
)
def test_verify_catches_review_tables_edited_behind_auditkits_back(
    web: Callable[[str | None], Web],
    world: World,
    assignment: review_queue.Assignment,
    table: object,
    change: dict[str, object],
    problem: str,
) -> None:
    client = web("rita")
    client.get(f"/reviews/{assignment.id}")
    seqs = message_seqs(world)
    client.post(
        f"/reviews/{assignment.id}/comments", {"message_seq": str(seqs[4]), "text": "Verified."}
    )
    example = {
        "example-count": "1",
        "example-0-first": str(seqs[4]),
        "example-0-last": str(seqs[6]),
        "example-0-label": "exemplary",
        "example-0-criterion": "problem-understanding",
        "example-0-note": "textbook verification",
    }
    assert client.post(f"/reviews/{assignment.id}/submit", {**TOP, **example}).status_code == 302
    report = verify_ledger(world.installation)
    assert report.ok and report.projections_checked, report.problems
    with world.installation.engine.begin() as conn:
        if table is review_scores:
            statement = review_scores.update().where(
                review_scores.c.criterion_id == "tone-consistency"
            )
        else:
            statement = table.update()  # type: ignore[attr-defined]
        assert conn.execute(statement.values(**change)).rowcount == 1
    report = verify_ledger(world.installation)
    assert not report.ok
    (found,) = report.problems
    assert problem in str(found) and "differs from the log" in str(found), found


def test_verify_catches_a_deleted_review_comment(
    web: Callable[[str | None], Web], world: World, assignment: review_queue.Assignment
) -> None:
    target = message_seqs(world)[4]
    web("rita").post(
        f"/reviews/{assignment.id}/comments", {"message_seq": str(target), "text": "Verified."}
    )
    with world.installation.engine.begin() as conn:
        conn.execute(review_comments.delete())
    report = verify_ledger(world.installation)
    (found,) = report.problems
    assert "query table review_comments" in str(found) and "is missing" in str(found)
