"""Finding any conversation: filters (choice lists of what is recorded), text search over the
redacted text, sort, pages with counts, CSV of the list, and refusal of unknown values."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest

from auditkit.checks.service import run_checks
from auditkit.db import operational_transaction
from auditkit.pii import store as pii_store
from auditkit.pii.scan import configured_detector_key
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.web.conftest import Web, World, text

ROW = re.compile(r'<tr>\s*<td class="mono"><a href="/conversations/([^"]+)"')


def listed(response_text: str) -> list[str]:
    """Conversation keys in the list, in order."""
    return ROW.findall(response_text)


@pytest.fixture
def checked(world: World) -> World:
    run_checks(world.installation)
    return world


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agent=agent-lucas", {"nb-2024-10611", "nb-2024-10502", "nb-2024-10447", "hh-2024-55187"}),
        ("team=Fraud", {"nb-2024-10533"}),
        ("intent=address-change", {"nb-2024-10611", "nb-2024-10447"}),
        ("channel=in_app_chat", {"nb-2024-10702", "hh-2024-55120"}),
        ("segment=premier", {"nb-2024-10533"}),
        ("csat_max=40", {"nb-2024-10502"}),
        (
            "several_sessions=1",
            {"hh-2024-55301", "hh-2024-55187", "nb-2024-10588", "nb-2024-10447"},
        ),
        ("reopened=1", {"hh-2024-55187", "nb-2024-10588"}),
        ("transferred=1", {"hh-2024-55187", "hh-2024-55243", "nb-2024-10533"}),
        ("failed_policy=identity-validation", {"nb-2024-10611", "nb-2024-10502"}),
        ("failed_policy=identity-validation&segment=retail-banking&csat_max=50", {"nb-2024-10502"}),
        ("since=2024-03-19&until=2024-03-19", {"nb-2024-10650", "hh-2024-55187", "nb-2024-10588"}),
        ("q=postcode", {"hh-2024-55187", "nb-2024-10650", "nb-2024-10431"}),
        ("q=hh-2024-55120", {"hh-2024-55120"}),
    ],
)
def test_each_filter_finds_exactly_its_conversations(
    web: Callable[[str | None], Web], checked: World, query: str, expected: set[str]
) -> None:
    page = text(web("cora").get(f"/conversations?{query}"))
    demo = {k for k in listed(page) if k.startswith(("nb-", "hh-"))}
    assert demo == expected
    total = len(listed(page))
    assert f"{total} conversation{'' if total == 1 else 's'} · page 1 of 1" in page


def test_text_search_never_matches_masked_personal_data(
    web: Callable[[str | None], Web], checked: World
) -> None:
    # The customer's e-mail is in nb-2024-10431's stored text, but masked on every screen.
    page = text(web("cora").get("/conversations?q=gonzalez"))
    assert listed(page) == []
    assert "No conversation matches “gonzalez”" in page


def test_reviewed_and_score_range_and_sort(
    web: Callable[[str | None], Web], checked: World
) -> None:
    items = checked.assign("rita", size=2, seed="s")
    rubric = workspaces.workspace(checked.installation, checked.users["rita"], items[0].id).rubric
    for item, level in zip(items, (0, -1), strict=True):
        ratings = {c.id: c.scale.levels[level] for _s, c in rubric.criteria()}
        submissions.submit_review(
            checked.installation, checked.users["rita"], item.id, DraftInput(ratings=ratings)
        )
    keys = {i.conversation_key for i in items}
    cora = web("cora")
    assert set(listed(text(cora.get("/conversations?reviewed=yes")))) == keys
    assert not keys & set(listed(text(cora.get("/conversations?reviewed=no"))))
    high = listed(text(cora.get("/conversations?score_min=50")))
    assert len(high) == 1 and high[0] in keys
    by_score = listed(text(cora.get("/conversations?sort=score")))
    assert set(by_score[:2]) == keys and by_score[0] != high[0]  # lowest first, unscored last


def test_restricted_data_filter_reads_the_scans_findings(
    web: Callable[[str | None], Web], checked: World
) -> None:
    key = configured_detector_key(checked.installation)
    with operational_transaction(checked.installation.engine) as conn:
        pii_store.replace_restricted(
            conn,
            detector_key=key,
            keys=["nb-2024-10702"],
            rows=[("nb-2024-10702", key, "sent", "CREDIT_CARD", 228, "[228]", "card-sent", 0)],
        )
    page = text(web("cora").get("/conversations?restricted=1"))
    assert listed(page) == ["nb-2024-10702"]


def test_pages_and_counts_and_shareable_links(
    web: Callable[[str | None], Web], checked: World
) -> None:
    cora = web("cora")
    first = cora.get("/conversations?channel=web_chat&sort=key&per_page=5")
    body = first.get_data(as_text=True)
    assert "9 conversations · page 1 of 2" in text(first)
    link = "/conversations?channel=web_chat&amp;sort=key&amp;per_page=5&amp;page=2"
    assert f'rel="next" href="{link}"' in body  # the filters travel with the page
    second = text(cora.get(link.replace("&amp;", "&")))
    assert "page 2 of 2" in second and 'rel="next"' not in second
    keys = listed(text(first)) + listed(second)
    assert len(listed(text(first))) == 5 and len(keys) == 9 and keys == sorted(keys)
    assert cora.get("/conversations?per_page=9999").status_code == 400


def test_the_csv_holds_every_row_of_the_list(
    web: Callable[[str | None], Web], checked: World
) -> None:
    response = web("cora").get("/conversations?failed_policy=any&sort=key&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    page = text(web("cora").get("/conversations?failed_policy=any&sort=key"))
    assert [r["conversation"] for r in rows] == listed(page)
    assert all(int(r["failed_policies"]) >= 1 for r in rows)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("agent=agent-nobody", "agent: no agent 'agent-nobody' is known"),
        ("team=Nobody", "team: no team 'Nobody' is known"),
        ("failed_policy=consent-before-sharing", "failed_policy: no policy"),
        ("csat_min=200", "csat_min: 200 is not between 0 and 100"),
        ("reviewed=maybe", "reviewed: 'maybe' is not yes or no"),
        ("sort=random", "sort: 'random' is not one of"),
        ("reopened=2", "reopened: '2' is not 1"),
    ],
)
def test_unknown_values_are_refused_with_a_clear_message(
    web: Callable[[str | None], Web], checked: World, query: str, message: str
) -> None:
    response = web("cora").get(f"/conversations?{query}")
    assert response.status_code == 400
    assert message in text(response)
