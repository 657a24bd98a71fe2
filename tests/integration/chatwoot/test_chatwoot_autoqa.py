"""Webhooks score what they changed with AutoQA, as imports do (after the metrics refresh)."""

from __future__ import annotations

from auditkit.web import create_app
from auditkit.web.hooks.chatwoot import AFTER_REFRESH
from sqlalchemy import text

from auditkit.autoqa import service as autoqa_service
from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.webhooks import WebhookReceiver
from tests.integration.chatwoot.support import SOURCE, fixture_bytes


def scored(installation: Installation) -> list[str]:
    with installation.engine.connect() as conn:
        rows = conn.execute(text("SELECT conversation_key FROM autoqa_scores ORDER BY 1"))
        return [key for (key,) in rows]


def test_a_delivery_is_scored_once_and_a_duplicate_scores_nothing(
    installation: Installation,
) -> None:
    receiver = WebhookReceiver(installation, after_refresh=autoqa_service.score_conversations)
    body = fixture_bytes("conversation_created")
    receiver.receive(source=SOURCE, body=body)
    (key,) = scored(installation)
    with installation.engine.connect() as conn:
        size = conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one()
    receiver.receive(source=SOURCE, body=body)  # a duplicate appends nothing, scores nothing
    with installation.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one() == size
    assert scored(installation) == [key]
    assert verify_ledger(installation).ok


def test_the_app_wires_autoqa_into_its_webhook_receiver(installation: Installation) -> None:
    app = create_app(installation, secret_key=b"k" * 32, config={"TESTING": True})
    assert app.extensions[AFTER_REFRESH] is autoqa_service.score_conversations
