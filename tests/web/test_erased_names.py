"""Erasing a customer must not turn an agent's display name into "[erased]" on the agents
list, the dashboard or the choice lists: only the data subject's data goes."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import text as sql

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


WRITES = ("insert", "update", "delete", "begin immediate")


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    """Every SQL statement the installation's engine runs meanwhile, lower-cased."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().lower())

    engine = world.installation.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def test_an_erased_conversation_leaves_the_open_queues_on_record(
    web: Callable[[str | None], Web], world: World
) -> None:
    from tests.web.test_web_queue import assignment_rows

    items = world.assign("rita", size=12)
    (item,) = [i for i in items if i.conversation_key == "hh-2024-55187"]
    done = erasure.erase_subject(world.installation, "cust-ines-duarte", reason="art. 17")
    # Closed by the erasure itself, before anyone opens a page.
    (row,) = [r for r in assignment_rows(world) if r["id"] == item.id]
    assert row["status"] == "erased" and row["closed_at"]
    assert row["reassign_reason"] == f"conversation erased (erasure record {done.erasure_seq})"
    rita, ada = web("rita"), web("ada")
    with statements(world) as seen:
        queue = text(rita.get("/queue"))
        manage = text(ada.get("/queue/manage"))
    assert "hh-2024-55187" not in queue and "nb-2024-10431" in queue
    assert "hh-2024-55187" not in manage.split("Open assignments")[-1]
    written = [s for s in seen if s.startswith(WRITES)]
    assert seen and not written, written
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


def test_the_page_views_of_the_queue_perform_no_write(
    web: Callable[[str | None], Web], world: World
) -> None:
    (item, *_rest) = world.assign("rita", size=2)
    rita, ada = web("rita"), web("ada")
    with statements(world) as seen:
        assert rita.get("/queue").status_code == 200
        assert ada.get("/queue/manage").status_code == 200
        assert rita.get(f"/reviews/{item.id}").status_code == 200
    written = [s for s in seen if s.startswith(WRITES)]
    assert seen and not written, written


def _migration() -> Any:
    path = Path(__file__).resolve().parents[2] / "migrations/versions/0023_issue15_admin.py"
    spec = importlib.util.spec_from_file_location("migration_0023", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0023_closes_assignments_of_conversations_erased_before_it(
    world: World,
) -> None:
    from tests.web.test_web_queue import assignment_rows

    items = world.assign("rita", size=12)
    (item,) = [i for i in items if i.conversation_key == "hh-2024-55187"]
    done = erasure.erase_subject(world.installation, "cust-ines-duarte", reason="art. 17")
    # As an installation erased before 0023 holds it: the assignment still open, no reason.
    with world.installation.engine.begin() as conn:
        conn.execute(
            sql(
                "UPDATE review_assignments SET status = 'open', closed_at = NULL,"
                " reassign_reason = NULL WHERE id = :id"
            ),
            {"id": item.id},
        )
    withdraw = _migration().withdraw_erased_assignments
    with world.installation.engine.begin() as conn:
        assert withdraw(conn) == 1
    with world.installation.engine.begin() as conn:
        assert withdraw(conn) == 0  # idempotent
    rows = {r["id"]: r for r in assignment_rows(world)}
    assert rows[item.id]["status"] == "erased"
    assert rows[item.id]["reassign_reason"] == (
        f"conversation erased (erasure record {done.erasure_seq})"
    )
    assert sum(r["status"] == "open" for r in rows.values()) == len(items) - 1
