"""The review queue: sampling rules, assignment with due dates, own-work refusal, reassigning."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from auditkit.periods import utc_now
from auditkit.review import queue as review_queue
from auditkit.review.tables import conversation_facts, review_assignments, review_samples
from tests.web.conftest import Web, World, text

AMARAS = {"nb-2024-10431", "nb-2024-10533", "nb-2024-10588", "nb-2024-10650"}


def due() -> str:
    return (utc_now() + timedelta(days=3)).date().isoformat()


def sample(client: Web, world: World, **fields: object) -> object:
    form: dict[str, object] = {
        "method": "random",
        "size": "5",
        "rubric": world.rubric_hash,
        "reviewers": [str(world.users["rita"].id)],
        "due_on": due(),
    }
    form.update(fields)
    return client.post("/queue/sample", form)


def assignment_rows(world: World) -> list[dict[str, object]]:
    with world.installation.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(review_assignments))]


def test_a_random_sample_is_assigned_with_its_due_date(
    web: Callable[[str | None], Web], world: World
) -> None:
    admin = web("ada")
    response = sample(admin, world, seed="s1")
    assert response.status_code == 302
    page = text(admin.get("/queue/manage"))
    assert "5 of 12 eligible conversations assigned (seed s1)" in page
    rows = assignment_rows(world)
    assert len(rows) == 5 and {r["due_on"] for r in rows} == {due()}
    assert {r["status"] for r in rows} == {"open"}
    queue = text(web("rita").get("/queue"))
    assert all(str(r["conversation_key"]) in queue for r in rows)


def test_the_same_seed_draws_the_same_sample(world: World) -> None:
    first = world.assign("rita", size=4, seed="same")
    keys = {a.conversation_key for a in first}
    for assignment in first:  # free them again
        with world.installation.engine.begin() as conn:
            conn.execute(review_assignments.update().values(status="reassigned"))
    second = review_queue.my_queue(world.installation, world.users["rita"])
    assert second == []
    again = world.assign("rita", size=4, seed="same")
    assert {a.conversation_key for a in again} == keys


@pytest.mark.parametrize(
    ("method", "size", "expected"),
    [("agent", 1, 5), ("intent", 1, 10), ("channel", 1, 3), ("channel", 20, 12)],
)
def test_stratified_samples_take_size_from_each_stratum(
    world: World, method: str, size: int, expected: int
) -> None:
    items = world.assign("rita", size=size, method=method)
    assert len(items) == expected
    if method == "channel" and size == 1:
        assert len({a.channel for a in items}) == 3


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["escalated"], {"nb-2024-10533", "hh-2024-55243"}),
        (["reopened"], {"nb-2024-10588", "hh-2024-55187"}),
        (["escalated", "reopened"], set()),
    ],
)
def test_filters_must_all_hold(
    web: Callable[[str | None], Web], world: World, filters: list[str], expected: set[str]
) -> None:
    sample(web("ada"), world, size="50", filters=filters)
    assert {r["conversation_key"] for r in assignment_rows(world)} == expected


def test_low_csat_and_long_filters(world: World, web: Callable[[str | None], Web]) -> None:
    with world.installation.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(conversation_facts)).scalar()
    assert before == 0
    sample(web("ada"), world, size="50", filters=["long"], long_messages="10")
    with world.installation.engine.connect() as conn:
        facts = {r.conversation_key: r for r in conn.execute(select(conversation_facts))}
    long_ones = {k for k, f in facts.items() if f.message_count >= 10}
    assert {r["conversation_key"] for r in assignment_rows(world)} == long_ones
    low = {k for k, f in facts.items() if f.csat is not None and f.csat <= 0.4}
    assert low, "the demo data has unhappy customers"


def test_nobody_is_assigned_a_conversation_they_took_part_in(
    web: Callable[[str | None], Web], world: World
) -> None:
    admin = web("ada")
    sample(admin, world, size="50", reviewers=[str(world.users["amara"].id)])
    keys = {r["conversation_key"] for r in assignment_rows(world)}
    assert len(keys) == 8 and not keys & AMARAS
    assert "4 drawn but not assigned: every chosen reviewer took part in them" in text(
        admin.get("/queue/manage")
    )


def test_with_two_reviewers_amaras_conversations_go_to_the_other(world: World) -> None:
    review_queue.sample_and_assign(
        world.installation,
        world.users["ada"],
        review_queue.SampleRequest(
            method=review_queue.SamplingMethod.RANDOM,
            size=12,
            filters=frozenset(),
            rubric_hash=world.rubric_hash,
            reviewer_ids=(world.users["amara"].id, world.users["rob"].id),
            due_on=(utc_now() + timedelta(days=1)).date(),
        ),
    )
    rows = assignment_rows(world)
    assert len(rows) == 12
    for row in rows:
        if row["conversation_key"] in AMARAS:
            assert row["reviewer_id"] == world.users["rob"].id


def test_a_conversation_is_not_sampled_twice_for_one_rubric(world: World) -> None:
    world.assign("rita", size=12)
    assert world.assign("rob", size=12) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"size": "0"}, "sample size: a whole number from 1 to 1000"),
        ({"size": "lots"}, "sample size: 'lots' is not a whole number"),
        ({"reviewers": []}, "reviewers: choose at least one"),
        ({"due_on": "2001-01-01"}, "due date: must be today or later"),
        ({"due_on": "soon"}, "due date: 'soon' is not a date"),
        ({"method": "vibes"}, "method: choose random, a stratification or most informative"),
        ({"rubric": "0" * 64}, "rubric: choose one of the rubrics listed"),
        (
            {"since": "2024-05-01", "until": "2024-01-01"},
            "period: the start must not be after the end",
        ),
        ({"filters": ["nonsense"]}, "filters: unknown filter"),
        ({"reviewers": [str(999)]}, "reviewers: only active QA reviewers and admins"),
    ],
)
def test_bad_sampling_input_is_refused_and_stores_nothing(
    web: Callable[[str | None], Web], world: World, changes: dict[str, object], message: str
) -> None:
    response = sample(web("ada"), world, **changes)
    assert response.status_code == 400
    body = text(response)
    assert "Nothing was saved." in body and message in body
    assert assignment_rows(world) == []
    with world.installation.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(review_samples)).scalar() == 0


def test_reassign_keeps_the_reason_and_the_trail(
    web: Callable[[str | None], Web], world: World
) -> None:
    (item,) = world.assign("rita", size=1)
    admin = web("ada")
    response = admin.post(
        f"/queue/assignments/{item.id}/reassign",
        {"reviewer": str(world.users["rob"].id), "reason": "rita is on leave"},
    )
    assert response.status_code == 302
    rows = {r["id"]: r for r in assignment_rows(world)}
    old, new = rows[item.id], next(r for r in rows.values() if r["previous_id"] == item.id)
    assert old["status"] == "reassigned" and old["closed_at"]
    assert (
        new["reviewer_id"] == world.users["rob"].id and new["reassign_reason"] == "rita is on leave"
    )
    assert new["due_on"] == old["due_on"] and new["review_id"] != old["review_id"]
    assert web("rita").get(f"/reviews/{item.id}").status_code == 409
    assert item.conversation_key in text(web("rob").get("/queue"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"reason": ""}, "reason: say why it is reassigned"),
        ({"reason": "busy"}, "reason: say why it is reassigned"),
        ({"reviewer": "", "reason": "rita is on leave"}, "reviewer: choose an active QA reviewer"),
        ({"reviewer": "rita", "reason": "rita is on leave"}, "the assignment is already theirs"),
        ({"reviewer": "amara", "reason": "balance the load"}, "took part in this conversation"),
        (
            {"reason": "rita is on leave", "due_on": "2000-01-01"},
            "due date: must be today or later",
        ),
    ],
)
def test_bad_reassignment_is_refused_and_changes_nothing(
    web: Callable[[str | None], Web], world: World, form: dict[str, str], message: str
) -> None:
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == "nb-2024-10431")  # amara's conversation
    fields = {"reviewer": str(world.users["rob"].id), **form}
    if fields["reviewer"] in world.users:
        fields["reviewer"] = str(world.users[fields["reviewer"]].id)
    response = web("ada").post(f"/queue/assignments/{item.id}/reassign", fields)
    assert response.status_code == 400
    assert message in text(response)
    assert len(assignment_rows(world)) == 12


def test_reassigning_a_closed_assignment_is_a_conflict(
    web: Callable[[str | None], Web], world: World
) -> None:
    (item,) = world.assign("rita", size=1)
    admin = web("ada")
    form = {"reviewer": str(world.users["rob"].id), "reason": "rita is on leave"}
    admin.post(f"/queue/assignments/{item.id}/reassign", form)
    assert admin.post(f"/queue/assignments/{item.id}/reassign", form).status_code == 409


def test_the_sample_rule_is_recorded(world: World) -> None:
    world.assign("rita", size=2, seed="abc", method="intent")
    with world.installation.engine.connect() as conn:
        rule = json.loads(conn.execute(select(review_samples.c.rule)).scalar_one())
    assert rule["method"] == "intent" and rule["seed"] == "abc" and rule["reviewers"] == ["rita"]


def test_the_queue_shows_overdue_assignments(
    web: Callable[[str | None], Web], world: World
) -> None:
    (item,) = world.assign("rita", size=1)
    with world.installation.engine.begin() as conn:
        conn.execute(review_assignments.update().values(due_on="2020-01-01"))
    assert "overdue 2020-01-01" in text(web("rita").get("/queue"))


def test_a_rubric_is_sampled_only_where_it_applies(world: World) -> None:
    folder = world.installation.settings.home / "rubrics"
    folder.mkdir()
    (folder / "disputes.yaml").write_text(
        "id: disputes\nversion: 1\ntitle: Disputes\napplies_to: {intents: [card-dispute]}\n"
        "sections:\n  - id: s\n    title: S\n    criteria:\n"
        "      - {id: ok, label: OK, scale: pass_fail, weight: 1, levels: {pass: a, fail: b}}\n",
        encoding="utf-8",
    )
    (rubric,) = [
        r
        for r in review_queue.review_rubrics.available_rubrics(world.installation)
        if r.id == "disputes"
    ]
    world.rubric_hash = rubric.content_hash
    items = world.assign("rita", size=50)
    assert {a.conversation_key for a in items} == {"nb-2024-10431", "nb-2024-10650"}
