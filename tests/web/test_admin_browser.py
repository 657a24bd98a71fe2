"""The agent's day and the four-eyes erasure in a real browser (Playwright driving Debian's
chromium): an agent signs in, sees only their own reviews, acknowledges one with a comment
and contests one; two compliance officers request, approve and carry out an erasure, the
requester's own approval refused; a mention is read from the nav's unread count."""

from __future__ import annotations

from typing import Any

import pytest

from auditkit.accounts import users as accounts
from auditkit.quality import disputes
from auditkit.quality import erasure_requests as requests
from auditkit.review import history
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.web.conftest import PASSWORD, World
from tests.web.test_web_browser import browser_page, live_app, shot, sign_in  # noqa: F401
from tests.web.test_web_review import message_seqs, records

pytestmark = pytest.mark.browser
SUBJECT = "cust-ines-duarte"  # the customer of hh-2024-55187


def _review_everything(world: World) -> dict[str, list[int]]:
    """Every demo conversation reviewed by rita: review seqs by primary agent."""
    items = world.assign("rita", size=12)
    rubric = workspaces.workspace(world.installation, world.users["rita"], items[0].id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    by_agent: dict[str, list[int]] = {}
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


def test_the_agents_day_own_reviews_acknowledge_and_contest(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    by_agent = _review_everything(world)
    mine = by_agent["agent-lucas"]
    others = [s for agent, seqs in by_agent.items() if agent != "agent-lucas" for s in seqs]
    assert len(mine) >= 2 and others
    sign_in(page, base, "lucas")
    page.wait_for_selector("h1:text('My reviews')")
    links = page.locator("#my-reviews a").evaluate_all("els => els.map(e => e.pathname)")
    assert sorted(links) == sorted(f"/me/reviews/{seq}" for seq in mine)
    nav = page.inner_text("nav.mainnav")
    assert "My reviews" in nav and "Conversations" not in nav and "Queue" not in nav
    if keep:
        shot(page, "agent-my-reviews")

    # Acknowledge the first, with a comment.
    page.locator("#my-reviews a").first.click()
    page.wait_for_selector("#acknowledge form")
    seq = int(page.url.rsplit("/", 1)[-1])
    page.fill("#acknowledge textarea[name=comment]", "Read it; will confirm the closing next time.")
    page.click("#acknowledge-review")
    page.wait_for_selector(".flash-success >> text=Acknowledged")
    ((_s, body),) = records(world, "review.acknowledged")
    assert body["review_seq"] == seq and body["actor"] == "lucas"
    assert body["comment"] == "Read it; will confirm the closing next time."

    # Contest another: propose a lower level on one criterion, with a comment.
    other = next(s for s in mine if s != seq)
    page.goto(f"{base}/me/reviews/{other}")
    page.click("#contest-review")
    page.wait_for_selector("#dispute-form")
    page.locator("#dispute-form select").first.select_option(index=1)
    page.fill("#dispute-form textarea[name=comment]", "The customer asked twice; I answered.")
    page.click("#open-dispute")
    page.wait_for_selector(".flash-success >> text=Dispute opened")
    opened = disputes.dispute_list(world.installation, world.users["ada"])
    assert [(d.review_seq, d.opened_by) for d in opened] == [(other, "lucas")]
    page.goto(f"{base}/me")
    assert "acknowledged" in page.inner_text("#my-reviews")
    assert "disputed" in page.inner_text("#my-reviews")

    # Someone else's review is not found, and no staff screen opens.
    assert page.goto(f"{base}/me/reviews/{others[0]}").status == 404
    assert page.goto(f"{base}/conversations").status == 403


def test_the_four_eyes_erasure_and_a_read_mention_in_the_browser(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    accounts.add_user(
        world.installation,
        username="dora",
        display_name="Dora D",
        role="compliance_officer",
        password=PASSWORD,
    )
    (item,) = [i for i in world.assign("rita", size=12) if i.conversation_key == "nb-2024-10431"]
    submissions.add_comment(
        world.installation,
        world.users["rita"],
        item.id,
        str(message_seqs(world)[0]),
        "@cora is this consent wording enough?",
    )

    sign_in(page, base, "cora")
    page.wait_for_selector("#unread-mentions")
    assert page.inner_text("#unread-mentions") == "1"
    page.click("nav.mainnav >> text=Mentions")
    page.wait_for_selector("#mentions >> text=is this consent wording enough?")
    page.locator("#mentions").get_by_role("button", name="Mark read").click()
    page.wait_for_selector("#unread-count >> text=0 unread")
    assert page.locator("#unread-mentions").count() == 0

    page.click("nav.mainnav >> text=Erasure")
    form = page.locator("#request-erasure form")
    form.locator("input[name=subject]").fill(SUBJECT)
    form.locator("input[name=reason]").fill("GDPR art. 17 request DSAR-0042")
    form.get_by_role("button", name="Request erasure").click()
    page.wait_for_selector("#erasure-requests >> text=pending approval")
    row = page.locator("#erasure-requests tr[data-status=pending]")
    assert "a second compliance officer approves it" in row.inner_text()
    assert row.get_by_role("button", name="Approve").count() == 0
    (pending,) = requests.list_requests(world.installation, world.users["cora"])
    # Even a forged approval from the requester's own session is refused, clearly.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    own = page.request.post(
        f"{base}/admin/erasure/{pending.id}/approve", form={"csrf_token": token or ""}
    )
    assert own.status == 403 and "must approve it (four-eyes)" in own.text()
    page.click("button:text('Sign out')")

    sign_in(page, base, "dora")
    page.goto(f"{base}/admin/erasure")
    page.locator(f"#request-{pending.id}").get_by_role("button", name="Approve").click()
    page.wait_for_selector(f"#request-{pending.id}[data-status=approved]")
    page.locator(f"#request-{pending.id}").get_by_role("button", name="Carry out erasure").click()
    page.wait_for_selector(f"#request-{pending.id}[data-status=carried_out]")
    if keep:
        shot(page, "admin-erasure")
    ((_s, body),) = records(world, "erasure")
    assert body["requested_by"] == "cora" and body["approved_by"] == "dora"
    assert body["actor"] == "dora" and body["subject"] == SUBJECT
    assert [k for k in ("erasure.requested", "erasure.approved") if records(world, k)] == [
        "erasure.requested",
        "erasure.approved",
    ]
    page.goto(f"{base}/conversations/hh-2024-55187")
    assert "was erased" in page.inner_text("main")
