"""Whole conversations read back from the ledger match what was imported."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from auditkit.errors import NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import iter_conversations, load_conversations
from auditkit.sources.formats import read_conversations
from auditkit.sources.ingest import import_files
from tests.factories import DATA


def test_conversations_round_trip_through_the_ledger(installation: Installation) -> None:
    path = DATA / "demo" / "conversations.jsonl"
    import_files(installation, [path])
    imported = {
        item.conversation.conversation_id: item.conversation
        for item in read_conversations(path, None)
    }
    with installation.engine.connect() as conn:
        loaded = list(iter_conversations(conn, page=5))
        opened = dict(
            conn.execute(text("SELECT conversation_key, opened_seq FROM conversations")).all()
        )
    assert sorted(c.key for c in loaded) == sorted(imported)
    for conversation in loaded:
        source = imported[conversation.key]
        assert conversation.opened_seq == opened[conversation.key]
        assert [e.kind for e in conversation.events] == [str(e.type) for e in source.events]
        assert [e.at for e in conversation.events] == [e.at for e in source.events]
        assert set(conversation.participants) == {p.id for p in source.participants}
        assert conversation.role_of(source.customer) == "customer"
        assert conversation.last_seq == conversation.events[-1].seq


def test_loading_an_unknown_conversation_is_refused(installation: Installation) -> None:
    with installation.engine.connect() as conn, pytest.raises(NotFound, match="nope"):
        load_conversations(conn, ["nope"])
