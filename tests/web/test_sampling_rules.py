"""Saved sampling rules: saved from the queue screen, drawn once a UTC day by
``auditkit sample run-rules`` (safe from cron) as the user who saved them, each draw kept."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.accounts import users as accounts
from auditkit.checks.service import run_checks
from tests.conftest import Cli
from tests.web.conftest import Web, World, text
from tests.web.test_web_queue import assignment_rows, due


def _rule_form(world: World, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "method": "random",
        "size": "5",
        "rubric": world.rubric_hash,
        "reviewers": [str(world.users["rita"].id)],
        "due_on": due(),
        "failed_policies": ["identity-validation"],
        "rule_name": "identity failures",
    }
    form.update(changes)
    return form


def test_a_rule_saved_on_the_web_is_drawn_daily_from_the_command_line(
    web: Callable[[str | None], Web], world: World, run: Cli
) -> None:
    run_checks(world.installation)
    ada = web("ada")
    saved = ada.post("/queue/rules", _rule_form(world))
    assert saved.status_code == 302
    assert assignment_rows(world) == []  # saving draws nothing
    page = text(ada.get("/queue/manage"))
    assert "identity failures" in page and "not drawn yet" in page

    first = run("sample", "run-rules").output
    assert "identity failures: drawn: 2 of 2 eligible assigned" in first
    assert {r["conversation_key"] for r in assignment_rows(world)} == {
        "nb-2024-10611",
        "nb-2024-10502",
    }
    again = run("sample", "run-rules").output  # cron ran twice: nothing more
    assert "identity failures: already drawn today" in again and len(assignment_rows(world)) == 2
    forced = run("sample", "run-rules", "--force").output
    assert "drawn: 0 of 0 eligible assigned" in forced  # never the same conversation twice
    history = run("sample", "rules").output
    assert history.count("drawn: ") == 2 and "identity failures (active)" in history
    assert "2 of 2 assigned" in text(ada.get("/queue/manage"))


def test_a_bad_rule_is_refused_and_nothing_saved(
    web: Callable[[str | None], Web], world: World, run: Cli
) -> None:
    ada = web("ada")
    assert ada.post("/queue/rules", _rule_form(world)).status_code == 302
    taken = ada.post("/queue/rules", _rule_form(world))
    assert taken.status_code == 400 and "rule name: 'identity failures' is taken" in text(taken)
    unnamed = ada.post("/queue/rules", _rule_form(world, rule_name=" "))
    assert unnamed.status_code == 400 and "rule name: 1-100 characters" in text(unnamed)
    bad = ada.post("/queue/rules", _rule_form(world, rule_name="x", size="many"))
    assert bad.status_code == 400 and "is not a whole number" in text(bad)
    assert run("sample", "rules").output.count("(active)") == 1


def test_a_rule_whose_author_left_draws_nothing_and_says_why(
    web: Callable[[str | None], Web], world: World, run: Cli
) -> None:
    web("ada").post("/queue/rules", _rule_form(world, failed_policies=[]))
    accounts.set_active(world.installation, "ada", active=False)
    out = run("sample", "run-rules").output
    assert "identity failures: creator cannot sample any more" in out
    assert assignment_rows(world) == []
