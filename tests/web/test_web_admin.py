"""Admin screens: users (add, role, participant, password reset, disable) and legal holds
(place, remove with a reason), each the same record or row the CLI writes."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.accounts import users as accounts
from auditkit.privacy import erasure
from tests.web.conftest import PASSWORD, Web, World, text
from tests.web.test_web_review import records

NEW_PASSWORD = "another-long-passphrase"


def _user(world: World, username: str) -> accounts.User:
    return {u.username: u for u in accounts.list_users(world.installation)}[username]


def test_an_admin_adds_a_user_who_can_then_sign_in(
    web: Callable[[str | None], Web], world: World
) -> None:
    ada = web("ada")
    page = text(ada.get("/admin/users"))
    assert 'id="user-rita"' in page
    done = ada.post(
        "/admin/users",
        {
            "username": "nina",
            "display_name": "Nina N",
            "role": "coach",
            "password": PASSWORD,
            "participant_id": "",
        },
    )
    assert done.status_code == 302
    nina = _user(world, "nina")
    assert nina.role == "coach" and nina.active and nina.participant_id is None
    assert web("nina").get("/dashboard").status_code == 200


def test_a_bad_new_user_is_refused_with_every_problem_and_nothing_stored(
    web: Callable[[str | None], Web], world: World
) -> None:
    before = len(accounts.list_users(world.installation))
    response = web("ada").post(
        "/admin/users", {"username": "Bad Name", "role": "boss", "password": "short"}
    )
    assert response.status_code == 400
    body = text(response)
    assert "username 'Bad Name'" in body and "role 'boss'" in body and "12" in body
    assert len(accounts.list_users(world.installation)) == before


def test_role_participant_password_and_disable_change_from_the_screen(
    web: Callable[[str | None], Web], world: World
) -> None:
    ada = web("ada")
    assert ada.post("/admin/users/rob", {"action": "role", "role": "coach"}).status_code == 302
    assert _user(world, "rob").role == "coach"
    bound = ada.post("/admin/users/rob", {"action": "participant", "participant_id": "agent-x"})
    assert bound.status_code == 302 and _user(world, "rob").participant_id == "agent-x"
    unbound = ada.post("/admin/users/rob", {"action": "participant", "participant_id": ""})
    assert unbound.status_code == 302
    assert _user(world, "rob").participant_id is None
    reset = ada.post("/admin/users/rob", {"action": "password", "password": NEW_PASSWORD})
    assert reset.status_code == 302
    web(None).login("rob", NEW_PASSWORD)
    short = ada.post("/admin/users/rob", {"action": "password", "password": "x"})
    assert short.status_code == 400
    ada.post("/admin/users/rob", {"action": "disable"})
    assert not _user(world, "rob").active
    assert ada.post("/admin/users/rob", {"action": "enable"}).status_code == 302
    assert _user(world, "rob").active


def test_an_admin_cannot_lock_themselves_out(
    web: Callable[[str | None], Web], world: World
) -> None:
    ada = web("ada")
    demoted = ada.post("/admin/users/ada", {"action": "role", "role": "coach"})
    assert demoted.status_code == 403 and _user(world, "ada").role == "admin"
    disabled = ada.post("/admin/users/ada", {"action": "disable"})
    assert disabled.status_code == 400 and _user(world, "ada").active
    assert "you cannot disable yourself" in text(disabled)


def test_holds_are_placed_and_removed_from_the_web_as_signed_records(
    web: Callable[[str | None], Web], world: World
) -> None:
    cora = web("cora")
    placed = cora.post(
        "/admin/holds",
        {"target": "conversation", "value": "nb-2024-10431", "reason": "litigation 2024-17"},
    )
    assert placed.status_code == 302
    (hold,) = erasure.list_holds(world.installation)
    assert hold.conversation_key == "nb-2024-10431" and hold.created_by == "cora"
    ((_seq, body),) = records(world, "legal_hold.added")
    assert body["actor"] == "cora" and body["reason"] == "litigation 2024-17"
    assert "litigation 2024-17" in text(cora.get("/admin/holds"))

    no_reason = cora.post(f"/admin/holds/{hold.id}/remove", {"reason": ""})
    assert no_reason.status_code == 400 and erasure.list_holds(world.installation)
    removed = cora.post(f"/admin/holds/{hold.id}/remove", {"reason": "case closed"})
    assert removed.status_code == 302 and erasure.list_holds(world.installation) == []
    ((_seq, body),) = records(world, "legal_hold.removed")
    assert body["actor"] == "cora" and body["reason"] == "case closed"


def test_a_bad_hold_is_refused_and_records_nothing(
    web: Callable[[str | None], Web], world: World
) -> None:
    cora = web("cora")
    unknown = cora.post(
        "/admin/holds", {"target": "conversation", "value": "nope", "reason": "litigation"}
    )
    assert unknown.status_code == 404 and "unknown conversation 'nope'" in text(unknown)
    reasonless = cora.post(
        "/admin/holds", {"target": "conversation", "value": "nb-2024-10431", "reason": ""}
    )
    assert reasonless.status_code == 400 and "needs a reason" in text(reasonless)
    assert cora.post("/admin/holds", {"target": "", "value": ""}).status_code == 400
    assert records(world, "legal_hold.added") == []
    assert web("cole").get("/admin/holds").status_code == 403
    assert web("cora").get("/admin/users").status_code == 403


def test_the_retention_dry_run_says_who_would_go_and_who_a_hold_keeps(
    world: World, env: dict[str, str]
) -> None:
    from auditkit.web import create_app

    from auditkit.ledger.installation import Installation
    from auditkit.settings import load_settings

    home = world.installation.settings.home
    with (home / "settings.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[retention]]\ndays = 30\nchannel = "web_chat"\n')
    ruled = Installation.open(load_settings(env))
    erasure.add_hold(ruled, conversation="nb-2024-10431", reason="litigation", actor="cora")
    app = create_app(ruled, secret_key=b"r" * 32, config={"TESTING": True})
    cora = Web(app.test_client())
    cora.login("cora")
    page = text(cora.get("/admin/retention"))
    assert "web_chat" in page and ">30<" in page and "Dry run: nothing was erased" not in page
    report = erasure.apply_retention(ruled, dry_run=True)
    assert report.erased and report.held
    ran = text(cora.get("/admin/retention?dry_run=1"))
    assert "Dry run: nothing was erased" in ran
    assert all(subject in ran for subject in report.erased + report.held)
    assert f"{len(report.erased)} data subjects would be erased now" in ran
    assert erasure.apply_retention(ruled, dry_run=True).erased == report.erased  # nothing went
    ruled.engine.dispose()
