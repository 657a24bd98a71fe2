"""A coaching example shows speakers by display name and the events it depends on: an
example after a consent was withdrawn shows that consent event (nb-2024-10650)."""

from __future__ import annotations

from pathlib import Path

from auditkit.reports import render_pack

from auditkit.reporting.packs import coaching_pack
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput, ExampleInput
from tests.web.conftest import World
from tests.web.test_web_review import message_seqs

KEY = "nb-2024-10650"


def test_an_example_shows_display_names_and_the_consent_it_depends_on(
    world: World, tmp_path: Path
) -> None:
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    rubric = workspaces.workspace(world.installation, world.users["rita"], item.id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    seqs = message_seqs(world, KEY)
    example = ExampleInput(str(seqs[-3]), str(seqs[-1]), "needs_work", "consent-recorded")
    submissions.submit_review(
        world.installation,
        world.users["rita"],
        item.id,
        DraftInput(ratings=ratings, examples=(example,)),
    )
    result = coaching_pack(
        world.installation, tmp_path / "pack", criterion="consent-recorded", renderer=render_pack
    )
    html = result.html_path.read_text(encoding="utf-8")
    assert "Consent withdrawn" in html  # the event the example depends on
    assert "Amara Okafor:" in html  # the agent by display name
    assert "Customer:" in html and "agent-amara:" not in html
    assert "What the levels mean" in html  # the criterion's level descriptions, from the rubric
    assert "Data was shared or marketing enrolled without recorded consent." in html
    assert "To discuss:" in html and "What would the top level of" in html
