"""Erasing a customer must not turn an agent's display name into "[erased]" on the agents
list, the dashboard or the choice lists: only the data subject's data goes."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.privacy import erasure
from auditkit.review import history
from auditkit.review import search as search_service
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.web.conftest import Web, World, text


def test_an_agents_name_survives_the_erasure_of_a_customer(
    web: Callable[[str | None], Web], world: World
) -> None:
    items = world.assign("rita", size=12)
    rubric = workspaces.workspace(world.installation, world.users["rita"], items[0].id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    for item in items:
        submissions.submit_review(
            world.installation, world.users["rita"], item.id, DraftInput(ratings=ratings)
        )
    # hh-2024-55187's customer: agent-lucas and agent-jonas took part in that conversation.
    erasure.erase_subject(world.installation, "cust-ines-duarte", reason="GDPR art. 17 request")
    names = {
        a.agent_id: a.name for a in history.agents_overview(world.installation, world.users["ada"])
    }
    assert names["agent-lucas"] == "Lucas Ferreira"
    choices = dict(search_service.search_choices(world.installation).agents)
    assert choices["agent-lucas"] == "Lucas Ferreira"
    for url in ("/agents", "/dashboard"):
        page = text(web("cole").get(url))
        assert "[erased]" not in page and "Lucas Ferreira" in page, url


def test_an_erased_conversation_leaves_the_open_queues_on_record(
    web: Callable[[str | None], Web], world: World
) -> None:
    from tests.web.test_web_queue import assignment_rows

    items = world.assign("rita", size=12)
    (item,) = [i for i in items if i.conversation_key == "hh-2024-55187"]
    done = erasure.erase_subject(world.installation, "cust-ines-duarte", reason="art. 17")
    rita = web("rita")
    queue = text(rita.get("/queue"))
    assert "hh-2024-55187" not in queue and "nb-2024-10431" in queue
    (row,) = [r for r in assignment_rows(world) if r["id"] == item.id]
    assert row["status"] == "erased" and row["closed_at"]
    assert row["reassign_reason"] == f"conversation erased (erasure record {done.erasure_seq})"
    opened = rita.get(f"/reviews/{item.id}")
    assert opened.status_code == 409
    assert "this conversation was erased and left your queue" in text(opened)
    assert (
        "hh-2024-55187" not in text(web("ada").get("/queue/manage")).split("Open assignments")[-1]
    )
    page = text(web("ada").get("/conversations/hh-2024-55187"))
    assert "withdrawn: conversation erased" in page
    assert f"was erased (erasure record {done.erasure_seq})" in page
    assert 'id="erased"' not in text(web("ada").get("/conversations/nb-2024-10431"))
