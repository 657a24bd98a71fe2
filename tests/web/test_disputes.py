"""Disputes: a coach contests a review; the reviewer accepts, partially accepts or rejects; each
step is a record, and an accepted change is a new review version that counts in IQS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditkit.ledger.verify import verify_ledger
from auditkit.quality import dashboard
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import KEY, TOP, records

PROPOSED = {"proposed.problem-understanding": "3", "proposed.tone-consistency": "1"}


@pytest.fixture
def submitted(world: World) -> submissions.SubmittedReview:
    """Rita's review of KEY, scored 87.50."""
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    ratings = {k.split(".", 1)[1]: v for k, v in TOP.items()}
    done = submissions.submit_review(
        world.installation, world.users["rita"], item.id, workspaces.DraftInput(ratings=ratings)
    )
    assert done.score == "87.50"
    return done


def open_dispute(client: Web, seq: int, form: dict[str, str] | None = None) -> int:
    page = text(client.get(f"/review-records/{seq}/dispute"))
    assert "Open dispute" in page
    response = client.post(
        f"/review-records/{seq}/dispute",
        {"comment": "The agent never checked the customer understood.", **(form or PROPOSED)},
    )
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def iqs(world: World) -> str | None:
    return dashboard.dashboard(world.installation, world.users["ada"]).iqs


def test_a_partial_acceptance_makes_a_new_version_that_changes_iqs(
    web: Callable[[str | None], Web], world: World, submitted: submissions.SubmittedReview
) -> None:
    dispute_id = open_dispute(web("cole"), submitted.seq)
    assert iqs(world) == "87.50"
    rita = web("rita")
    page = text(rita.get(f"/disputes/{dispute_id}"))
    assert "Partially accept" in page and "never checked" in page
    assert "yours to answer" in text(rita.get("/disputes"))
    response = rita.post(
        f"/disputes/{dispute_id}/resolve",
        {
            "decision": "partially_accepted",
            "response": "Tone was cold, but the problem was understood.",
            "final.tone-consistency": "1",
        },
    )
    assert response.status_code == 302, text(response)
    page = text(rita.get(f"/disputes/{dispute_id}"))
    assert "partially accepted" in page and "87.5 → 77.5" in page
    assert iqs(world) == "77.50"
    assert "77.5" in text(web("ada").get("/dashboard"))
    steps = records(world, "review.dispute")
    assert [body["action"] for _seq, body in steps] == ["opened", "partially_accepted"]
    versions = records(world, "review")
    assert [body["version"] for _seq, body in versions] == [1, 2]
    assert versions[1][1]["dispute"] == dispute_id
    assert versions[1][1]["supersedes"] == submitted.seq
    assert versions[1][1]["score"] == "77.50"
    assert verify_ledger(world.installation).ok


@pytest.mark.parametrize(
    ("decision", "score", "versions"),
    [("accepted", "65.00", 2), ("rejected", "87.50", 1)],
)
def test_accepting_applies_every_proposal_and_rejecting_none(
    web: Callable[[str | None], Web],
    world: World,
    submitted: submissions.SubmittedReview,
    decision: str,
    score: str,
    versions: int,
) -> None:
    dispute_id = open_dispute(web("ada"), submitted.seq)
    rita = web("rita")
    rita.get(f"/disputes/{dispute_id}")
    response = rita.post(
        f"/disputes/{dispute_id}/resolve", {"decision": decision, "response": "considered"}
    )
    assert response.status_code == 302
    assert iqs(world) == score
    assert len(records(world, "review")) == versions
    assert records(world, "review.dispute")[-1][1]["action"] == decision


def test_dispute_rules(
    web: Callable[[str | None], Web], world: World, submitted: submissions.SubmittedReview
) -> None:
    # Compliance officers and reviewers may not contest; an empty proposal is refused.
    assert web("cora").get(f"/review-records/{submitted.seq}/dispute").status_code == 403
    assert web("rob").get(f"/review-records/{submitted.seq}/dispute").status_code == 403
    cole = web("cole")
    cole.get(f"/review-records/{submitted.seq}/dispute")
    response = cole.post(f"/review-records/{submitted.seq}/dispute", {"comment": ""})
    page = text(response)
    assert response.status_code == 400
    assert "comment: say what" in page and "change at least one criterion" in page
    dispute_id = open_dispute(cole, submitted.seq)
    # One open dispute per review.
    cole.get(f"/review-records/{submitted.seq}/dispute")
    again = cole.post(f"/review-records/{submitted.seq}/dispute", {"comment": "again", **PROPOSED})
    assert again.status_code == 409
    # Only the review's reviewer answers; a rejection needs a reason.
    rob = web("rob")
    rob.get("/disputes")
    assert rob.post(f"/disputes/{dispute_id}/resolve", {"decision": "rejected"}).status_code == 403
    assert cole.post(f"/disputes/{dispute_id}/resolve", {"decision": "accepted"}).status_code == 403
    rita = web("rita")
    rita.get(f"/disputes/{dispute_id}")
    response = rita.post(f"/disputes/{dispute_id}/resolve", {"decision": "rejected"})
    assert response.status_code == 400 and "response: say why" in text(response)
    response = rita.post(
        f"/disputes/{dispute_id}/resolve",
        {
            "decision": "partially_accepted",
            "response": "all of it",
            **{"final.problem-understanding": "3", "final.tone-consistency": "1"},
        },
    )
    assert response.status_code == 400 and "accept it" in text(response)
    rita.post(f"/disputes/{dispute_id}/resolve", {"decision": "accepted"})
    assert rita.post(f"/disputes/{dispute_id}/resolve", {"decision": "accepted"}).status_code == 409
    # The contested version is now superseded: contest the new one instead.
    cole.get(f"/review-records/{submitted.seq}/dispute")
    stale = cole.post(f"/review-records/{submitted.seq}/dispute", {"comment": "x", **PROPOSED})
    assert stale.status_code == 409
    # Everyone may read disputes.
    for name in ("ada", "cora", "rita", "cole"):
        assert web(name).get(f"/disputes/{dispute_id}").status_code == 200
