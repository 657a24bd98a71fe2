"""Conversation metrics in the app: the conversation view's panel, and the sampling filters
that read ``conversation_metrics``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from auditkit.web.conversations import duration_text
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from auditkit.metrics.tables import conversation_metrics
from auditkit.periods import utc_now
from auditkit.review.tables import review_assignments, review_samples
from auditkit.sources.ingest import import_files
from tests.factories import make_conversation, write_jsonl
from tests.web.conftest import Web, World, text

CONTAINED = {"hh-2024-55120", "nb-2024-10702"}
SEVERAL_SESSIONS = {"hh-2024-55187", "hh-2024-55301", "nb-2024-10447", "nb-2024-10588"}
SLOW = "slow-1"


def panel(response: TestResponse) -> str:
    """The metrics card of a conversation page, as text."""
    found = re.search(r'<section class="card" id="metrics">(.*?)</section>', text(response), re.S)
    assert found, "the conversation view has a metrics panel"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def add_slow_conversation(world: World, tmp_path: Path) -> None:
    """A conversation whose agent first answered 20 minutes after the customer wrote."""
    conversation = make_conversation(SLOW, messages=2)
    reply = conversation["events"][2]
    reply["at"] = "2025-01-06T09:21:00Z"  # the customer wrote at 09:01
    conversation["events"][3]["at"] = "2025-01-06T09:22:00Z"
    import_files(world.installation, [write_jsonl(tmp_path / "slow.jsonl", [conversation])])


def due() -> str:
    return (utc_now() + timedelta(days=3)).date().isoformat()


def sample(client: Web, world: World, **fields: object) -> TestResponse:
    form: dict[str, object] = {
        "method": "random",
        "size": "50",
        "rubric": world.rubric_hash,
        "reviewers": [str(world.users["rita"].id)],
        "due_on": due(),
    }
    form.update(fields)
    return client.post("/queue/sample", form)


def drawn(world: World) -> set[str]:
    with world.installation.engine.connect() as conn:
        return {r.conversation_key for r in conn.execute(select(review_assignments))}


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (42.4, "42 s"),
        (252, "4 min 12 s"),
        (300, "5 min"),
        (7500, "2 h 5 min"),
        (691769, "8 d"),
        (90000, "1 d 1 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float | None, shown: str) -> None:
    assert duration_text(seconds) == shown


def test_the_conversation_view_shows_its_metrics(web: Callable[[str | None], Web]) -> None:
    shown = panel(web("cole").get("/conversations/nb-2024-10431"))
    for line in (
        "First meaningful response 50 s",  # the customer at 09:12:55, Amara's answer 50 s later
        "Resolution time 7 min 15 s",
        "Sessions 1",
        "Re-opens 0",
        "Transfers 0",
        "Escalations 0",
        "Contained by automation no",
        "CSAT 100%",
    ):
        assert line in shown, line
    for secret in ("María", "maria.gonzalez", "Amara", "cust-maria"):
        assert secret not in shown


def test_a_conversation_no_person_answered_shows_dashes(web: Callable[[str | None], Web]) -> None:
    shown = panel(web("rita").get("/conversations/hh-2024-55120"))
    assert "First meaningful response —" in shown
    assert "Contained by automation yes" in shown and "CSAT 80%" in shown
    reopened = panel(web("rita").get("/conversations/hh-2024-55187"))
    assert "Sessions 2" in reopened and "Re-opens 1" in reopened and "Transfers 1" in reopened


def test_the_view_recomputes_a_missing_or_stale_row(
    web: Callable[[str | None], Web], world: World
) -> None:
    with world.installation.engine.begin() as conn:
        conn.execute(conversation_metrics.delete())
        conn.execute(
            conversation_metrics.insert(),
            [
                {
                    "conversation_key": "nb-2024-10588",
                    "last_seq": 0,  # older than the conversation: stale
                    "channel": "web_chat",
                    "first_response_seconds": 1.0,
                    "resolution_seconds": None,
                    "sessions": 9,
                    "reopens": 9,
                    "transfers": 9,
                    "escalations": 9,
                    "resolved": False,
                    "contained": True,
                    "csat": None,
                }
            ],
        )
    client = web("rita")
    assert "Sessions 1 " in panel(client.get("/conversations/nb-2024-10431")) + " "
    stale = panel(client.get("/conversations/nb-2024-10588"))
    assert "Sessions 2" in stale and "Re-opens 1" in stale and "Escalations 0" in stale
    with world.installation.engine.connect() as conn:
        rows = {r.conversation_key: r for r in conn.execute(select(conversation_metrics))}
    assert set(rows) == {"nb-2024-10431", "nb-2024-10588"} and rows["nb-2024-10588"].sessions == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"filters": ["contained"]}, CONTAINED),
        ({"filters": ["not_contained"]}, "all but contained"),
        ({"filters": ["several_sessions"]}, SEVERAL_SESSIONS),
        ({"filters": ["several_sessions"], "min_sessions": "3"}, set()),
        ({"filters": ["several_sessions", "reopened"]}, {"hh-2024-55187", "nb-2024-10588"}),
        ({"filters": ["slow_first_response"]}, {SLOW}),  # default: over 15 minutes
        ({"filters": ["slow_first_response"], "slow_minutes": "25"}, set()),
    ],
)
def test_metric_filters_draw_only_matching_conversations(
    web: Callable[[str | None], Web],
    world: World,
    tmp_path: Path,
    fields: dict[str, object],
    expected: set[str] | str,
) -> None:
    add_slow_conversation(world, tmp_path)
    with world.installation.engine.connect() as conn:
        every = {r.conversation_key for r in conn.execute(select(conversation_metrics))}
    if expected == "all but contained":
        expected = every - CONTAINED
    response = sample(web("ada"), world, **fields)
    assert response.status_code == 302
    assert drawn(world) == expected


def test_the_thresholds_are_recorded_with_the_sample(
    web: Callable[[str | None], Web], world: World
) -> None:
    sample(web("ada"), world, filters=["slow_first_response"], slow_minutes="5")
    with world.installation.engine.connect() as conn:
        rule = json.loads(conn.execute(select(review_samples.c.rule)).scalar_one())
    assert rule["filters"] == ["slow_first_response"]
    assert rule["slow_response_minutes"] == 5 and rule["min_sessions"] == 2


def test_the_form_offers_the_metric_filters(web: Callable[[str | None], Web]) -> None:
    page = text(web("ada").get("/queue/manage"))
    for label in (
        "Slow first response",
        "Contained by automation",
        "Not contained by automation",
        "Several sessions",
    ):
        assert label in page
    assert 'name="slow_minutes"' in page and 'value="15"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slow_minutes": "soon"}, "slow first response: 'soon' is not a whole number"),
        ({"slow_minutes": "0"}, "slow first response: at least 1 minute"),
        ({"min_sessions": "1"}, "several sessions: at least 2 sessions"),
        ({"min_sessions": "two"}, "several sessions: 'two' is not a whole number"),
        (
            {"filters": ["contained", "not_contained"]},
            "contained and not contained by automation exclude each other",
        ),
    ],
)
def test_bad_metric_filter_input_is_refused_and_stores_nothing(
    web: Callable[[str | None], Web], world: World, fields: dict[str, object], message: str
) -> None:
    response = sample(web("ada"), world, **{"filters": ["slow_first_response"], **fields})
    assert response.status_code == 400
    body = text(response)
    assert "Nothing was saved." in body and message in body
    assert drawn(world) == set()
    with world.installation.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(review_samples)).scalar() == 0
