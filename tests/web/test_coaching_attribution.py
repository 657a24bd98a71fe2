"""A coaching example is credited to the agent who wrote the marked messages, not to the
conversation's primary agent (hh-2024-55187: #2-#4 are agent-jonas's, the primary agent is
agent-lucas); ``verify`` rebuilds the same rows from the records."""

from __future__ import annotations

from sqlalchemy import select

from auditkit.ledger.verify import verify_ledger
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.tables import coaching_examples
from auditkit.review.workspace import DraftInput, ExampleInput
from tests.web.conftest import World
from tests.web.test_web_review import message_seqs, records

KEY = "hh-2024-55187"


def test_an_example_is_credited_to_the_agent_who_wrote_the_marked_messages(
    world: World,
) -> None:
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    rubric = workspaces.workspace(world.installation, world.users["rita"], item.id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    seqs = message_seqs(world, KEY)
    examples = (
        ExampleInput(str(seqs[1]), str(seqs[3]), "exemplary", "problem-understanding"),
        ExampleInput(str(seqs[-2]), str(seqs[-1]), "needs_work", "closure-confirmation"),
    )
    submissions.submit_review(
        world.installation,
        world.users["rita"],
        item.id,
        DraftInput(ratings=ratings, examples=examples),
    )
    ((_seq, body),) = records(world, "review")
    assert body["agent"] == "agent-lucas"  # the primary agent
    with world.installation.engine.connect() as conn:
        rows = conn.execute(
            select(coaching_examples.c.position, coaching_examples.c.agent_id).order_by(
                coaching_examples.c.position
            )
        ).all()
    assert rows[0] == (0, "agent-jonas")
    assert body["coaching_examples"][0]["agent"] == "agent-jonas"  # type: ignore[index]
    report = verify_ledger(world.installation)
    assert report.ok, report
