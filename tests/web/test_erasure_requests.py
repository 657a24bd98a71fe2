"""Four-eyes erasure from the web: a compliance officer requests, a second one approves (the
requester's own approval is refused), then it is carried out; each step a signed record, the
same the CLI writes; role checks and CSRF on every form."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditkit.accounts import users as accounts
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger.verify import verify_ledger
from auditkit.privacy import erasure
from auditkit.quality import erasure_requests as requests
from auditkit.review import transcript
from tests.web.conftest import PASSWORD, Web, World, text
from tests.web.test_web_review import records

SUBJECT = "cust-ines-duarte"  # the customer of hh-2024-55187
REASON = "GDPR art. 17 request DSAR-0042"


@pytest.fixture
def dora(world: World) -> accounts.User:
    """A second compliance officer."""
    return accounts.add_user(
        world.installation,
        username="dora",
        display_name="Dora D",
        role="compliance_officer",
        password=PASSWORD,
    )


def _erased(world: World) -> set[str]:
    from auditkit.db.engine import read_transaction
    from auditkit.ledger.sealing import store as sealing_store

    with read_transaction(world.installation.engine) as conn:
        return sealing_store.erased_subjects(conn)


def test_the_four_eyes_flow_from_the_web_writes_one_record_a_step(
    web: Callable[[str | None], Web], world: World, dora: accounts.User
) -> None:
    cora, second = web("cora"), web("dora")
    assert "Request an erasure" in text(cora.get("/admin/erasure"))
    asked = cora.post("/admin/erasure", {"subject": SUBJECT, "reason": REASON})
    assert asked.status_code == 302
    (pending,) = requests.list_requests(world.installation, dora)
    assert pending.status == "pending" and pending.requested_by == "cora"
    ((request_seq, body),) = records(world, "erasure.requested")
    assert body == {"subject": SUBJECT, "reason": REASON, "actor": "cora"}

    # The requester cannot approve: no button, and the POST is refused, clearly.
    page = text(cora.get("/admin/erasure"))
    assert "Your request: a second compliance officer approves it." in page
    assert f"/admin/erasure/{pending.id}/approve" not in page
    own = cora.post(f"/admin/erasure/{pending.id}/approve", {"note": ""})
    assert own.status_code == 403
    assert "a second compliance officer must approve it (four-eyes)" in text(own)
    assert records(world, "erasure.approved") == []
    # Nor is a pending request carried out.
    early = second.post(f"/admin/erasure/{pending.id}/carry-out", {})
    assert early.status_code == 409 and "only an approved request" in text(early)
    assert SUBJECT not in _erased(world)

    assert f"/admin/erasure/{pending.id}/approve" in text(second.get("/admin/erasure"))
    approved = second.post(f"/admin/erasure/{pending.id}/approve", {"note": "checked the ID"})
    assert approved.status_code == 302
    ((approval_seq, body),) = records(world, "erasure.approved")
    assert body == {
        "request_seq": request_seq,
        "subject": SUBJECT,
        "actor": "dora",
        "note": "checked the ID",
    }
    again = second.post(f"/admin/erasure/{pending.id}/approve", {})
    assert again.status_code == 409 and records(world, "erasure.approved") != []

    done = cora.post(f"/admin/erasure/{pending.id}/carry-out", {})
    assert done.status_code == 302
    assert SUBJECT in _erased(world)
    ((erasure_seq, body),) = records(world, "erasure")
    # The reason was sealed under the subject's key, shredded with it; its case reference
    # stays clear for the auditor.
    assert body["subject"] == SUBJECT and body["reason"] == "[erased]"
    assert body["references"] == ["request DSAR-0042"]
    assert body["actor"] == "cora" and body["requested_by"] == "cora"
    assert body["approved_by"] == "dora"
    assert body["request_seq"] == request_seq and body["approval_seq"] == approval_seq
    (closed,) = requests.list_requests(world.installation, dora)
    assert closed.status == "carried_out" and closed.erasure_seq == erasure_seq
    twice = cora.post(f"/admin/erasure/{pending.id}/carry-out", {})
    assert twice.status_code == 409 and len(records(world, "erasure")) == 1
    listed = text(cora.get("/admin/erasure"))
    assert "carried out by cora" in listed and f"record {erasure_seq}" in listed
    # The conversation now shows as erased; the log still verifies.
    page = transcript.conversation_page(world.installation, world.users["cora"], "hh-2024-55187")
    assert page.erasure_seq == erasure_seq
    report = verify_ledger(world.installation)
    assert report.ok, report.problems


def test_a_legal_hold_refuses_the_carrying_out_and_the_request_stays_approved(
    world: World, dora: accounts.User, web: Callable[[str | None], Web]
) -> None:
    cora = world.users["cora"]
    asked = requests.request_erasure(world.installation, cora, subject=SUBJECT, reason=REASON)
    requests.decide(world.installation, dora, asked.id, approve=True)
    hold = erasure.add_hold(world.installation, subject=SUBJECT, reason="litigation 2024-17")
    refused = web("dora").post(f"/admin/erasure/{asked.id}/carry-out", {})
    assert refused.status_code == 409 and "legal hold" in text(refused)
    assert records(world, "erasure") == [] and SUBJECT not in _erased(world)
    (still,) = requests.list_requests(world.installation, cora)
    assert still.status == "approved"
    erasure.remove_hold(world.installation, hold.id, reason="case closed")
    done, result = requests.carry_out(world.installation, dora, asked.id)
    assert done.status == "carried_out" and result.subject == SUBJECT


def test_reject_and_withdraw_need_a_reason_and_close_the_request(
    world: World, dora: accounts.User, web: Callable[[str | None], Web]
) -> None:
    cora = world.users["cora"]
    first = requests.request_erasure(world.installation, cora, subject=SUBJECT, reason=REASON)
    short = web("dora").post(f"/admin/erasure/{first.id}/reject", {"note": "no"})
    assert short.status_code == 400 and "at least 10 characters" in text(short)
    rejected = web("dora").post(
        f"/admin/erasure/{first.id}/reject", {"note": "not the requester's own data"}
    )
    assert rejected.status_code == 302
    ((_seq, body),) = records(world, "erasure.rejected")
    assert body["actor"] == "dora" and body["note"] == "not the requester's own data"
    with pytest.raises(Conflict, match="is rejected, not pending"):
        requests.decide(world.installation, dora, first.id, approve=True)
    # A new request may follow a closed one; its requester may withdraw it.
    second = requests.request_erasure(world.installation, cora, subject=SUBJECT, reason=REASON)
    withdrawn = requests.decide(
        world.installation, cora, second.id, approve=False, note="filed in error, sorry"
    )
    assert withdrawn.status == "rejected" and withdrawn.decided_by == "cora"
    assert SUBJECT not in _erased(world)


def test_bad_requests_are_refused_and_record_nothing(
    world: World, dora: accounts.User, web: Callable[[str | None], Web]
) -> None:
    cora = web("cora")
    unknown = cora.post("/admin/erasure", {"subject": "cust-nobody", "reason": REASON})
    assert unknown.status_code == 404 and "no data subject 'cust-nobody'" in text(unknown)
    vague = cora.post("/admin/erasure", {"subject": SUBJECT, "reason": "because"})
    assert vague.status_code == 400 and "reason: at least 10 characters" in text(vague)
    assert records(world, "erasure.requested") == []
    requests.request_erasure(world.installation, dora, subject=SUBJECT, reason=REASON)
    twice = cora.post("/admin/erasure", {"subject": SUBJECT, "reason": REASON})
    assert twice.status_code == 409 and "already has erasure request" in text(twice)
    missing = cora.post("/admin/erasure/999/approve", {})
    assert missing.status_code == 404 and "no erasure request #999" in text(missing)
    with pytest.raises(InputRefused):
        requests.request_erasure(world.installation, dora, subject="", reason="")
    with pytest.raises(NotFound):
        requests.carry_out(world.installation, dora, 999)


def test_only_compliance_officers_and_only_with_a_csrf_token(
    world: World, dora: accounts.User, web: Callable[[str | None], Web]
) -> None:
    for username in ("ada", "rita", "cole", "lucas"):
        client = web(username)
        assert client.get("/admin/erasure").status_code == 403, username
        posted = client.post("/admin/erasure", {"subject": SUBJECT, "reason": REASON})
        assert posted.status_code == 403, username
    with pytest.raises(AccessDenied):
        requests.request_erasure(
            world.installation, world.users["ada"], subject=SUBJECT, reason=REASON
        )
    forged = web("cora").post("/admin/erasure", {"subject": SUBJECT, "reason": REASON}, csrf=False)
    assert forged.status_code == 400
    assert records(world, "erasure.requested") == []
    asked = requests.request_erasure(
        world.installation, world.users["cora"], subject=SUBJECT, reason=REASON
    )
    forged_approval = web("dora").post(f"/admin/erasure/{asked.id}/approve", {}, csrf=False)
    assert forged_approval.status_code == 400 and records(world, "erasure.approved") == []
