"""Calibration sessions: opening, blind scoring, the reveal, agreement, baseline, role rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditkit.ledger.verify import verify_ledger
from auditkit.quality import calibration
from auditkit.review.tables import reviews
from auditkit.rubric.agreement import Measurement, krippendorff_alpha
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import TOP, count, records

KEYS = ("nb-2024-10431", "nb-2024-10447")
LOWER = {**TOP, "rating.problem-understanding": "3", "rating.tone-consistency": "1"}


def open_session(world: World, participants: tuple[str, ...] = ("rita", "rob")) -> int:
    return calibration.open_session(
        world.installation,
        world.users["ada"],
        title="October calibration",
        rubric_hash=world.rubric_hash,
        conversation_keys=list(KEYS),
        participant_ids=[world.users[p].id for p in participants],
    )


def score_all(client: Web, session_id: int, ratings: dict[str, str], *, baseline: bool = False):
    for key in KEYS:
        where = "baseline" if baseline else "score"
        client.get(f"/calibration/{session_id}/{where}/{key}")
        response = client.post(f"/calibration/{session_id}/{where}/{key}", ratings)
        assert response.status_code == 302, text(response)


def test_an_admin_opens_a_session_and_every_step_is_a_record(
    web: Callable[[str | None], Web], world: World
) -> None:
    ada = web("ada")
    page = text(ada.get("/calibration"))
    assert "Open a session" in page
    response = ada.post(
        "/calibration",
        {
            "title": "October calibration",
            "rubric": world.rubric_hash,
            "conversations": "\n".join(KEYS),
            "participant": [str(world.users["rita"].id), str(world.users["rob"].id)],
        },
    )
    assert response.status_code == 302
    page = text(ada.get(response.headers["Location"]))
    assert "October calibration" in page and KEYS[0] in page and "Record baseline" in page
    (opened,) = records(world, "calibration")
    assert opened[1]["action"] == "session.opened"
    assert opened[1]["participants"] == ["rita", "rob"]


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"title": "", "conversations": KEYS[0]}, "title: required"),
        ({"title": "t", "conversations": ""}, "conversations: name at least one"),
        ({"title": "t", "conversations": "nope-1"}, "conversations: unknown nope-1"),
    ],
)
def test_a_session_is_refused_with_every_problem(
    web: Callable[[str | None], Web], world: World, form: dict[str, str], problem: str
) -> None:
    ada = web("ada")
    ada.get("/calibration")
    response = ada.post(
        "/calibration",
        {**form, "rubric": world.rubric_hash, "participant": [str(world.users["rita"].id)]},
    )
    assert response.status_code == 400
    page = text(response)
    assert problem in page and "at least two active reviewers" in page
    assert records(world, "calibration") == []


def test_scoring_is_blind_until_one_has_submitted_everything(
    web: Callable[[str | None], Web], world: World
) -> None:
    session_id = open_session(world)
    rita, rob, cole = web("rita"), web("rob"), web("cole")
    score_all(rita, session_id, TOP)
    # rob has not scored: he sees only progress, not rita's answers or the agreement.
    page = text(rob.get(f"/calibration/{session_id}"))
    assert "Answers are hidden" in page and "overall-alpha" not in page
    assert "Score it" in page
    # rita has: she sees the side-by-side view (rob's answers still missing).
    page = text(rita.get(f"/calibration/{session_id}"))
    assert "Agreement" in page and "Side by side" in page
    # A coach sees nothing until the session closes.
    assert "Answers are hidden" in text(cole.get(f"/calibration/{session_id}"))
    score_all(rob, session_id, LOWER)
    page = text(rob.get(f"/calibration/{session_id}"))
    assert "overall-alpha" in page
    web("ada").post(f"/calibration/{session_id}/close")
    assert "Answers are hidden" not in text(cole.get(f"/calibration/{session_id}"))


def test_agreement_figures_match_the_ratings(world: World) -> None:
    session_id = open_session(world)
    for name, ratings in (("rita", TOP), ("rob", LOWER)):
        for key in KEYS:
            calibration.submit_answer(
                world.installation,
                world.users[name],
                session_id,
                key,
                {k.split(".", 1)[1]: v for k, v in ratings.items()},
                baseline=False,
            )
    view = calibration.session_view(world.installation, world.users["ada"], session_id)
    assert view.results is not None
    by_id = {c.criterion_id: c for c in view.results.criteria}
    # Both conversations: rita 5, rob 3 → pairs never agree.
    assert by_id["problem-understanding"].percent == 0.0
    assert by_id["problem-understanding"].alpha == pytest.approx(
        krippendorff_alpha([["5", "3"], ["5", "3"]], Measurement.ORDINAL)
    )
    assert by_id["identity-verified"].percent == 1.0
    assert by_id["identity-verified"].alpha is None  # no variation: alpha undefined
    # 8 criteria × 2 conversations, 2 of 8 criteria disagree.
    assert view.results.overall_percent == pytest.approx(12 / 16)
    disagreements = [r for r in view.results.rows if not r.agreed]
    assert {r.criterion_id for r in disagreements} == {
        "problem-understanding",
        "tone-consistency",
    }


def test_the_baseline_reports_each_reviewers_deviation(
    web: Callable[[str | None], Web], world: World
) -> None:
    session_id = open_session(world)
    score_all(web("ada"), session_id, TOP, baseline=True)
    score_all(web("rita"), session_id, TOP)
    score_all(web("rob"), session_id, LOWER)
    view = calibration.session_view(world.installation, world.users["ada"], session_id)
    assert view.results is not None
    deviation = {d.scorer: d for d in view.results.deviations}
    assert deviation["rita"].matched == 16 and deviation["rita"].mean_distance == "0.00"
    assert deviation["rob"].matched == 12
    # |100 - 50| and |100 - 33.33| on each conversation, over 16 criteria.
    assert deviation["rob"].mean_distance == "14.58"
    page = text(web("ada").get(f"/calibration/{session_id}"))
    assert "Deviation from the baseline" in page and "14.58" in page
    alignment = calibration.reviewer_alignment(world.installation)
    assert alignment["rob"].matched == 12 and alignment["rob"].compared == 16


def test_calibration_answers_never_count_toward_iqs(
    web: Callable[[str | None], Web], world: World
) -> None:
    session_id = open_session(world)
    score_all(web("rita"), session_id, TOP)
    assert count(world, reviews) == 0
    page = text(web("ada").get("/dashboard"))
    assert "No reviews in this period." in page
    assert verify_ledger(world.installation).ok


def test_role_and_participation_rules(web: Callable[[str | None], Web], world: World) -> None:
    session_id = open_session(world)
    key = KEYS[0]
    # amara is a reviewer but not a participant; rita is not the facilitator.
    assert web("amara").get(f"/calibration/{session_id}/score/{key}").status_code == 403
    assert web("rita").get(f"/calibration/{session_id}/baseline/{key}").status_code == 403
    assert web("cole").get(f"/calibration/{session_id}/score/{key}").status_code == 403
    assert web("cora").get("/calibration").status_code == 403
    assert web("rita").get(f"/calibration/{session_id}/score/nope").status_code == 404
    rita = web("rita")
    score_all(rita, session_id, TOP)
    rita.get(f"/calibration/{session_id}/score/{key}")
    assert rita.post(f"/calibration/{session_id}/score/{key}", TOP).status_code == 409
    incomplete = {k: v for k, v in TOP.items() if "tone" not in k}
    rob = web("rob")
    rob.get(f"/calibration/{session_id}/score/{key}")
    response = rob.post(f"/calibration/{session_id}/score/{key}", incomplete)
    assert response.status_code == 400 and "tone-consistency" in text(response)
