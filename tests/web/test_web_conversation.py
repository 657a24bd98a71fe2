"""The whole-conversation view: redacted by default; a reveal needs the permission and a
reason, and appends an `access` record."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from auditkit.errors import AccessDenied
from auditkit.ledger.reader import record_body
from auditkit.ledger.tables import log_entries
from auditkit.review import transcript as transcripts
from tests.web.conftest import Web, World, text

KEY = "nb-2024-10431"
SECRETS = ["María González", "maria.gonzalez@example.com", "1986"]


def access_records(world: World) -> list[dict[str, object]]:
    """Access records, the reveal reasons (sealed under the subject's key) opened."""
    master = world.installation.master_key()
    with world.installation.engine.connect() as conn:
        rows = conn.execute(
            select(log_entries.c.seq, log_entries.c.entry).where(log_entries.c.kind == "access")
        ).all()
        return [{"seq": seq, **record_body(conn, seq, master=master)} for seq, _entry in rows]


def test_the_conversation_is_redacted_by_default(web: Callable[[str | None], Web]) -> None:
    page = text(web("cole").get(f"/conversations/{KEY}"))
    for secret in SECRETS:
        assert secret not in page
    assert "Hello [NAME], I'm Amara" in page
    assert "14/07/" not in page and "SW9 8QT" not in page
    assert "Your role cannot reveal them." in page


def test_every_session_and_event_is_shown_in_order(web: Callable[[str | None], Web]) -> None:
    page = text(web("rita").get("/conversations/nb-2024-10588"))  # resolved, then reopened
    assert "Session 1" in page and "Session 2" in page
    assert page.index("Session 1") < page.index("Session 2") < page.index("Reopened")
    handoff = text(web("rita").get(f"/conversations/{KEY}"))
    for line in (
        "Ownership: Nova → Amara Okafor — card dispute needs a specialist",
        "Handoff: customer reports duplicate card payment",  # the bot's internal note
        "Validation: verify-identity by Amara Okafor: success",
        "Consent given by Customer for share-transaction-with-merchant",
        "CSAT 5/5",
        "Resolution code: dispute-raised-temporary-credit",
        "internal note",
    ):
        assert line in handoff, line
    assert handoff.index("#1") < handoff.index("#2") < handoff.index("#10")


def test_an_escalation_is_shown_inline(web: Callable[[str | None], Web]) -> None:
    page = text(web("rita").get("/conversations/hh-2024-55243"))
    assert "Escalated" in page and "Ownership: Priya" in page


def test_a_reveal_with_a_reason_is_logged_and_shows_the_clear_text(
    web: Callable[[str | None], Web], world: World
) -> None:
    client = web("cora")
    response = client.post(f"/reveal/{KEY}", {"reason": "subject access request SAR-1182"})
    assert response.status_code == 302
    (record,) = access_records(world)
    assert record["action"] == "reveal" and record["actor"] == "cora"
    assert record["reason"] == "subject access request SAR-1182"
    assert record["role"] == "compliance_officer"
    assert isinstance(record["conversation_last_seq"], int)
    assert response.headers["Location"].endswith(f"?reveal={record['seq']}")
    page = text(client.get(response.headers["Location"]))
    for secret in SECRETS:
        assert secret in page
    assert f"logged as record {record['seq']}" in page


@pytest.mark.parametrize("reason", ["", "because", "          x"])
def test_a_reveal_without_a_real_reason_is_refused_and_logs_nothing(
    web: Callable[[str | None], Web], world: World, reason: str
) -> None:
    response = web("rita").post(f"/reveal/{KEY}", {"reason": reason})
    assert response.status_code == 400
    page = text(response)
    assert "say why you need the clear text" in page
    assert "María" not in page
    assert access_records(world) == []


def test_a_coach_cannot_reveal(web: Callable[[str | None], Web], world: World) -> None:
    response = web("cole").post(f"/reveal/{KEY}", {"reason": "I would like to see it all"})
    assert response.status_code == 403
    assert access_records(world) == []


def test_someone_elses_reveal_does_not_unlock_the_page(
    web: Callable[[str | None], Web], world: World
) -> None:
    web("cora").post(f"/reveal/{KEY}", {"reason": "subject access request SAR-1182"})
    (record,) = access_records(world)
    for user in ("rita", "cole"):
        page = text(web(user).get(f"/conversations/{KEY}?reveal={record['seq']}"))
        assert "María González" not in page, user


def test_a_reveal_expires(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    seq = transcripts.reveal(world.installation, world.users["cora"], KEY, "subject access request")
    page = transcripts.conversation_page(
        world.installation, world.users["cora"], KEY, reveal_seq=seq
    )
    assert page.reveal is not None
    later = transcripts.utc_now() + transcripts.REVEAL_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(transcripts, "utc_now", lambda: later)
    expired = transcripts.conversation_page(
        world.installation, world.users["cora"], KEY, reveal_seq=seq
    )
    assert expired.reveal is None


def test_a_reveal_of_an_unknown_conversation_is_refused(
    web: Callable[[str | None], Web], world: World
) -> None:
    assert (
        web("cora").post("/reveal/nope", {"reason": "a perfectly good reason"}).status_code == 404
    )
    assert access_records(world) == []


def test_an_unknown_conversation_is_not_found(web: Callable[[str | None], Web]) -> None:
    response = web("rita").get("/conversations/nope")
    assert response.status_code == 404
    assert "unknown conversation(s): nope" in text(response)


def test_the_conversation_list_searches_by_key(web: Callable[[str | None], Web]) -> None:
    client = web("cole")
    page = text(client.get("/conversations"))
    assert page.count("/conversations/") >= 12
    found = text(client.get("/conversations?q=hh-2024"))
    assert "hh-2024-55120" in found and "nb-2024-10431" not in found
    assert "No conversation matches" in text(client.get("/conversations?q=zz%25_zz"))  # literal


def test_services_refuse_roles_without_the_permission(world: World) -> None:
    with pytest.raises(AccessDenied):
        transcripts.reveal(world.installation, world.users["cole"], KEY, "a perfectly good reason")


def test_the_access_record_is_signed_into_the_log(world: World) -> None:
    from auditkit.ledger.verify import verify_ledger

    transcripts.reveal(world.installation, world.users["rita"], KEY, "check the read-back number")
    report = verify_ledger(world.installation)
    assert report.ok, report.problems
    assert json.dumps(access_records(world)[0]["reason"]) == '"check the read-back number"'


def test_the_pii_scans_findings_are_masked_in_the_view(
    web: Callable[[str | None], Web], world: World
) -> None:
    from auditkit.pii.scan import scan_messages

    before = text(web("cole").get(f"/conversations/{KEY}"))
    # Not scanned yet: the detector runs live, so the page already masks as a scan would.
    assert "Sure, [DATE_TIME] and [STREET_ADDRESS]." in before
    scan_messages(world.installation, workers=1)
    after = text(web("cole").get(f"/conversations/{KEY}"))
    assert "Sure, [DATE_TIME] and [STREET_ADDRESS]." in after  # stored findings, same text
    assert after.count("[NAME]") == before.count("[NAME]")
    assert "14/07" not in after
    for secret in SECRETS:
        assert secret not in after
