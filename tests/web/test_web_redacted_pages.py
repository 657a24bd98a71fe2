"""The redacted pages of issue 17: structured fields, dates in values, staff names kept,
and staff-typed text masked like the messages (conversation, review record, dispute)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from auditkit.ledger.tables import log_entries
from auditkit.review import queue as review_queue
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import TOP

KEY = "nb-2024-10431"


def test_action_fields_are_redacted_by_key(web: Callable[[str | None], Web]) -> None:
    page = text(web("cole").get("/conversations/nb-2024-10447"))
    for secret in ("22 Larch Road", "Larch", "LS6 2JU", "Daniel Osei", "d.osei84@example.net"):
        assert secret not in page
    assert "address_line1: [STREET_ADDRESS]" in page
    assert "postcode: [STREET_ADDRESS]" in page


def test_dates_in_values_stay_whole(web: Callable[[str | None], Web]) -> None:
    page = text(web("cole").get("/conversations/hh-2024-55187"))
    assert "settled_on: 2024-03-20" in page and "[NUMBER]-03-20" not in page
    assert "1200-195" not in page and "HH-7741055" not in page and "HH-[NUMBER]" not in page


def test_staff_bot_and_team_names_are_shown_the_customer_is_not(
    web: Callable[[str | None], Web],
) -> None:
    page = text(web("cole").get(f"/conversations/{KEY}"))
    assert "Hi, I'm Nova, NorthBank's virtual assistant" in page
    assert "Disputes need one of our card specialists" in page
    assert "Handoff: customer reports" in page
    assert "Hello [NAME], I'm Amara from the Cards team" in page
    assert "SW9 8QT" not in page and "María" not in page


def _seqs(world: World, key: str) -> list[int]:
    with world.installation.engine.connect() as conn:
        rows = conn.execute(
            select(log_entries.c.seq)
            .where(log_entries.c.conversation_key == key)
            .where(log_entries.c.kind.in_(["message", "internal_note"]))
            .order_by(log_entries.c.seq)
        )
        return [seq for (seq,) in rows]


def test_staff_typed_text_is_masked_like_the_messages(
    web: Callable[[str | None], Web], world: World
) -> None:
    assignment: review_queue.Assignment = next(
        a for a in world.assign("rita", size=12) if a.conversation_key == KEY
    )
    rita = web("rita")
    rita.get(f"/reviews/{assignment.id}")
    seqs = _seqs(world, KEY)
    typed = "María González confirmed SW9 8QT and maria.gonzalez@example.com"
    rita.post(f"/reviews/{assignment.id}/comments", {"message_seq": str(seqs[4]), "text": typed})
    example = {
        "example-count": "1",
        "example-0-first": str(seqs[4]),
        "example-0-last": str(seqs[6]),
        "example-0-label": "exemplary",
        "example-0-criterion": "problem-understanding",
        "example-0-note": "asked María for SW9 8QT",
    }
    form = {**TOP, **example, "summary": "Good call with María González at SW9 8QT."}
    assert rita.post(f"/reviews/{assignment.id}/submit", form).status_code == 302
    conversation = text(web("cora").get(f"/conversations/{KEY}"))
    assert "[NAME] confirmed [STREET_ADDRESS] and [EMAIL]" in conversation
    from auditkit.review import store as review_store

    with world.installation.engine.connect() as conn:
        (row,) = review_store.reviews_for_conversation(conn, KEY)
    record = text(web("rita").get(f"/review-records/{row['seq']}"))
    for page in (conversation, record):
        assert "SW9 8QT" not in page and "González" not in page and "María" not in page
    assert "asked [NAME] for [STREET_ADDRESS]" in record
