"""Agents as users: an agent signs in, sees only reviews of their own work (scores,
reviewers' summaries and comments, coaching examples), acknowledges one with a comment (a
signed record) and contests one; nothing of anyone else's is reachable."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditkit.accounts import users as accounts
from auditkit.errors import InputRefused
from auditkit.quality import disputes
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.web.conftest import PASSWORD, Web, World, text
from tests.web.test_web_review import records


@pytest.fixture
def reviews(world: World) -> dict[str, list[int]]:
    """Every demo conversation reviewed by rita: review seqs by primary agent."""
    items = world.assign("rita", size=12)
    rubric = workspaces.workspace(world.installation, world.users["rita"], items[0].id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    by_agent: dict[str, list[int]] = {}
    from auditkit.review import history

    for item in items:
        done = submissions.submit_review(
            world.installation,
            world.users["rita"],
            item.id,
            DraftInput(ratings=ratings, summary=f"summary for {item.conversation_key}"),
        )
        detail = history.review_detail(world.installation, world.users["ada"], done.seq)
        by_agent.setdefault(detail.summary.agent_id or "", []).append(done.seq)
    return by_agent


def test_an_agent_signs_in_and_sees_only_their_own_reviews(
    web: Callable[[str | None], Web], reviews: dict[str, list[int]]
) -> None:
    lucas = web("lucas")
    page = lucas.get("/me")
    assert page.status_code == 200
    body = text(page)
    mine = reviews["agent-lucas"]
    assert mine and all(f'href="/me/reviews/{seq}"' in body for seq in mine)
    others = [s for a, seqs in reviews.items() if a != "agent-lucas" for s in seqs]
    assert not any(f'/me/reviews/{seq}"' in body for seq in others)
    detail = text(lucas.get(f"/me/reviews/{mine[0]}"))
    assert "Reviewer's summary" in detail and "summary for" in detail
    assert lucas.get(f"/me/reviews/{others[0]}").status_code == 404
    for url in ("/conversations", f"/review-records/{mine[0]}", "/agents", "/findings", "/queue"):
        assert lucas.get(url).status_code == 403, url


def test_signing_in_sends_an_agent_to_their_reviews(
    web: Callable[[str | None], Web], world: World
) -> None:
    client = web(None)
    client.get("/login")
    response = client.post("/login", {"username": "lucas", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/me")


def test_an_agent_acknowledges_a_review_with_a_comment(
    web: Callable[[str | None], Web], world: World, reviews: dict[str, list[int]]
) -> None:
    seq = reviews["agent-lucas"][0]
    lucas = web("lucas")
    done = lucas.post(f"/me/reviews/{seq}/acknowledge", {"comment": "Fair, I missed the check."})
    assert done.status_code == 302
    ((_s, body),) = records(world, "review.acknowledged")
    assert body["review_seq"] == seq and body["agent"] == "agent-lucas"
    assert body["actor"] == "lucas" and body["comment"] == "Fair, I missed the check."
    assert "Fair, I missed the check." in text(lucas.get(f"/me/reviews/{seq}"))
    assert "acknowledged" in text(lucas.get("/me"))
    other = reviews["agent-amara"][0]
    assert lucas.post(f"/me/reviews/{other}/acknowledge", {}).status_code == 404
    assert len(records(world, "review.acknowledged")) == 1


def test_an_agent_contests_their_own_review_and_no_one_elses(
    web: Callable[[str | None], Web], world: World, reviews: dict[str, list[int]]
) -> None:
    seq = reviews["agent-lucas"][0]
    lucas = web("lucas")
    form = text(lucas.get(f"/me/reviews/{seq}/dispute"))
    assert 'id="dispute-form"' in form
    refused = lucas.post(
        f"/me/reviews/{seq}/dispute", {"comment": "", "proposed.tone-consistency": "0"}
    )
    assert refused.status_code == 400 and "comment: say what is wrong" in text(refused)
    opened = lucas.post(
        f"/me/reviews/{seq}/dispute",
        {"comment": "The customer asked me to skip it.", "proposed.tone-consistency": "0"},
    )
    assert opened.status_code == 302
    (dispute,) = disputes.dispute_list(world.installation, world.users["rita"])
    assert dispute.opened_by == "lucas" and dispute.review_seq == seq
    assert "disputed" in text(lucas.get("/me"))
    other = reviews["agent-amara"][0]
    with pytest.raises(Exception, match="of your work"):
        disputes.open_dispute(
            world.installation,
            {u.username: u for u in accounts.list_users(world.installation)}["lucas"],
            other,
            comment="not mine",
            proposed={"tone-consistency": "0"},
        )


def test_an_agent_account_needs_a_participant_id(world: World) -> None:
    with pytest.raises(InputRefused, match="an agent needs --participant-id"):
        accounts.add_user(
            world.installation,
            username="nobody",
            display_name="No One",
            role="agent",
            password=PASSWORD,
        )
