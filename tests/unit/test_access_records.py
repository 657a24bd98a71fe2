"""One builder for access records: the same keys for every action, whoever records it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.records import RecordKind

AT = datetime(2024, 3, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize("action", list(AccessAction))
def test_every_access_record_names_its_action_and_actor(action: AccessAction) -> None:
    draft = access_record(action, actor="cora", occurred_at=AT)
    assert draft.kind == RecordKind.ACCESS
    assert draft.body == {"action": str(action), "actor": "cora"}
    assert draft.conversation is None


def test_a_signed_in_users_role_and_the_actions_details_are_kept() -> None:
    draft = access_record(
        AccessAction.REVEAL,
        actor="cora",
        role="compliance_officer",
        conversation="nb-1",
        occurred_at=AT,
        reason="subject access request",
    )
    assert draft.conversation == "nb-1"
    assert draft.body == {
        "action": "reveal",
        "actor": "cora",
        "role": "compliance_officer",
        "reason": "subject access request",
    }
