"""The audit trail lists each step of a four-eyes erasure request as touching the subject's
conversations: who asked, who approved, and the erasure naming both."""

from __future__ import annotations

from auditkit.pii.masking import InterimRedactor
from auditkit.reporting.trail import build_trail, subject_reference

SUBJECT = "cust-ines-duarte"
AT = "2024-05-02T10:00:00.000000Z"


def test_request_approval_and_erasure_are_in_the_trail_of_the_subjects_conversations() -> None:
    rows = [
        (10, "erasure.requested", None, AT, {"subject": SUBJECT, "reason": "DSAR-0042 art. 17", "actor": "cora"}),
        (11, "erasure.approved", None, AT, {"subject": SUBJECT, "request_seq": 10, "actor": "dora", "note": "ID checked"}),
        (12, "erasure", None, AT, {"subject": SUBJECT, "reason": "DSAR-0042 art. 17", "actor": "cora", "conversations": ["hh-2024-55187"], "request_seq": 10, "approval_seq": 11, "requested_by": "cora", "approved_by": "dora"}),
        (13, "erasure.rejected", None, AT, {"subject": "cust-someone-else", "request_seq": 9, "actor": "dora", "note": "not ours"}),
    ]  # fmt: skip
    trail = build_trail(
        rows,
        scoped={"hh-2024-55187"},
        customers={SUBJECT: {"hh-2024-55187"}},
        since=None,
        until="2024-01-01T00:00:00Z",
        redactor=InterimRedactor(),
    )
    touching = {e.seq: e for e in trail.erasures_touching}
    assert set(touching) == {10, 11, 12}  # the other subject's rejection touches nothing here
    assert touching[10].action == "erasure requested" and touching[10].actor == "cora"
    assert "DSAR-0042" in touching[10].detail
    assert touching[11].action == "erasure approved" and touching[11].actor == "dora"
    assert "request at seq 10" in touching[11].detail and "ID checked" in touching[11].detail
    assert "approved by dora" in touching[12].detail
    assert all(subject_reference(SUBJECT) in e.detail for e in touching.values())
    assert all(SUBJECT not in e.detail for e in touching.values())
