"""@mentions are read or unread per user, persisted: "Mark read", "Mark all read" (up to the
newest shown, so a later one stays new) and the unread count beside "Mentions"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from auditkit.errors import NotFound
from auditkit.quality import mentions
from auditkit.review import submission as submissions
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import assignment, message_seqs  # noqa: F401

BADGE = re.compile(r'id="unread-mentions"[^>]*>(\d+)<')


def _comment(world: World, item: int, words: str) -> int:
    return submissions.add_comment(
        world.installation, world.users["rita"], item, str(message_seqs(world)[0]), words
    )


def _badge(client: Web) -> int:
    found = BADGE.search(text(client.get("/rubrics")))
    return int(found.group(1)) if found else 0


def test_mentions_are_read_one_by_one_or_all_at_once_per_user(
    web: Callable[[str | None], Web],
    world: World,
    assignment: object,  # noqa: F811
) -> None:
    item = assignment.id  # type: ignore[attr-defined]
    first = _comment(world, item, "@cole see the greeting; @cora the consent step")
    second = _comment(world, item, "@cole the closing too")
    cole, cora = web("cole"), web("cora")
    assert _badge(cole) == 2 and _badge(cora) == 1
    page = text(cole.get("/mentions"))
    assert "2 unread" in page and page.count(">new<") == 2

    assert cole.post(f"/mentions/{second}/read").status_code == 302
    assert _badge(cole) == 1 and _badge(cora) == 1  # per user
    read = {
        m.comment_seq: m.read for m in mentions.mentions_of(world.installation, world.users["cole"])
    }
    assert read == {first: False, second: True}

    # "Mark all read" covers what the page showed; a mention arriving after stays new.
    cole.get("/mentions")
    third = _comment(world, item, "@cole and one more")
    done = cole.post("/mentions/read-all", {"through": str(second)}, follow_redirects=True)
    assert "1 mention(s) marked read." in text(done)
    state = {
        m.comment_seq: m.read for m in mentions.mentions_of(world.installation, world.users["cole"])
    }
    assert state == {first: True, second: True, third: False}
    assert _badge(cole) == 1
    cole.post("/mentions/read-all", {})
    assert _badge(cole) == 0 and "0 unread" in text(cole.get("/mentions"))
    assert _badge(cora) == 1  # still, persisted per user
    assert 'id="unread-mentions"' not in text(cole.get("/rubrics"))


def test_only_ones_own_mentions_are_marked_and_only_with_a_token(
    web: Callable[[str | None], Web],
    world: World,
    assignment: object,  # noqa: F811
) -> None:
    item = assignment.id  # type: ignore[attr-defined]
    seq = _comment(world, item, "@cole have a look")
    rob = web("rob")
    refused = rob.post(f"/mentions/{seq}/read")
    assert refused.status_code == 404 and "does not mention you" in text(refused)
    with pytest.raises(NotFound):
        mentions.mark_read(world.installation, world.users["rob"], seq)
    forged = web("cole").post(f"/mentions/{seq}/read", csrf=False)
    assert forged.status_code == 400
    assert mentions.unread_count(world.installation, world.users["cole"]) == 1
    # An agent reads no reviews: no mention list, no count.
    assert mentions.unread_count(world.installation, world.users["lucas"]) == 0
