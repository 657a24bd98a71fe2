"""`auditkit users …`, `auditkit serve` and `auditkit rubrics check`."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from auditkit.accounts import users as accounts
from auditkit.cli.web import rubrics, serve, users
from auditkit.ledger.installation import Installation
from tests.web.conftest import PASSWORD

GOOD_PASSWORD = "a-long-enough-password"


@pytest.fixture
def run(installation: Installation, env: dict[str, str]) -> Any:
    """Run the review app's commands on a group like the main CLI's (which the lead wires)."""
    from auditkit.cli.main import AuditkitGroup

    group = AuditkitGroup(name="auditkit")
    for command in (serve, users, rubrics):
        group.add_command(command)

    def invoke(*args: str, input: str | None = None, extra: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(group, list(args), env={**env, **(extra or {})}, input=input)

    return invoke


def test_users_add_list_disable_enable(run: Any) -> None:
    added = run(
        "users",
        "add",
        "rita",
        "--role",
        "qa_reviewer",
        "--name",
        "Rita Q",
        extra={"AUDITKIT_NEW_USER_PASSWORD": GOOD_PASSWORD},
    )
    assert added.exit_code == 0, added.output
    assert "added rita (QA reviewer)" in added.output
    run(
        "users",
        "add",
        "amara",
        "--role",
        "qa_reviewer",
        "--participant-id",
        "agent-amara",
        extra={"AUDITKIT_NEW_USER_PASSWORD": GOOD_PASSWORD},
    )
    listed = run("users", "list").output
    assert "rita" in listed and "qa_reviewer" in listed and "active" in listed
    assert "participant agent-amara" in listed
    assert run("users", "disable", "rita").exit_code == 0
    assert "disabled" in run("users", "list").output
    assert run("users", "enable", "rita").exit_code == 0


def test_users_add_prompts_for_the_password_twice(run: Any, installation: Installation) -> None:
    result = run("users", "add", "cole", "--role", "coach", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = accounts.authenticate(
        installation, username="cole", password=PASSWORD, remote_addr="127.0.0.1"
    )
    assert user.role == accounts.Role.COACH


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["Bad Name", "--role", "coach"], GOOD_PASSWORD, "username 'Bad Name'"),
        (["short", "--role", "coach"], "tiny", "at least 12 characters"),
        (["wrong", "--role", "boss"], GOOD_PASSWORD, "Invalid value for '--role'"),
    ],
)
def test_users_add_refuses_bad_input(
    run: Any, args: list[str], password: str, message: str
) -> None:
    result = run("users", "add", *args, extra={"AUDITKIT_NEW_USER_PASSWORD": password})
    assert result.exit_code != 0 and message in result.output
    assert "Bad Name" not in run("users", "list").output


def test_a_taken_username_is_refused(run: Any) -> None:
    extra = {"AUDITKIT_NEW_USER_PASSWORD": GOOD_PASSWORD}
    run("users", "add", "rita", "--role", "coach", extra=extra)
    again = run("users", "add", "rita", "--role", "admin", extra=extra)
    assert again.exit_code == 1 and "username 'rita' is taken" in again.output


def test_disabling_an_unknown_user_fails_clearly(run: Any) -> None:
    result = run("users", "disable", "ghost")
    assert result.exit_code == 1 and "no user 'ghost'" in result.output


def test_serve_runs_waitress_on_the_installation(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress

    seen: dict[str, Any] = {}

    def fake_serve(app: Any, **options: Any) -> None:
        seen.update(options, app=app, frozen=gc.get_freeze_count())
        gc.unfreeze()  # this test process goes on collecting as before

    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = run("serve", "--host", "0.0.0.0", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert seen["frozen"] > 0  # what was loaded before serving is left out of collections
    assert seen["host"] == "0.0.0.0" and seen["port"] == 8123 and seen["threads"] == 8
    assert seen["app"].config["SESSION_COOKIE_SECURE"] is True
    assert "http://0.0.0.0:8123/" in result.output


def test_serve_refuses_an_uninitialised_database(tmp_path: Path) -> None:
    from auditkit.cli.main import AuditkitGroup

    group = AuditkitGroup(name="auditkit")
    group.add_command(serve)
    env = {"AUDITKIT_HOME": str(tmp_path / "empty"), "AUDITKIT_KEY_PASSPHRASE": "x" * 12}
    result = CliRunner().invoke(group, ["serve"], env=env)
    assert result.exit_code == 1 and "auditkit init" in result.output


def test_rubrics_check_prints_hashes_and_reports_every_problem(run: Any, tmp_path: Path) -> None:
    ok = run("rubrics", "check")
    assert ok.exit_code == 0 and "ok: messaging-quality v2 sha256:" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 0\ntitle: ''\nsections: []\n", encoding="utf-8")
    result = run("rubrics", "check", str(bad))
    assert result.exit_code == 1
    for field in ("version", "title", "sections"):
        assert f"bad.yaml: {field}:" in result.output
    unknown = tmp_path / "unknown-policy.yaml"
    shipped = (
        Path(__file__).resolve().parents[2] / "rubrics" / "messaging-quality.yaml"
    ).read_text(encoding="utf-8")
    unknown.write_text(
        shipped.replace("id: messaging-quality", "id: other").replace(
            "policy: consent-scopes", "policy: consent-before-sharing"
        ),
        encoding="utf-8",
    )
    refused = run("rubrics", "check", str(unknown))
    assert refused.exit_code == 1
    assert "consent-recorded" in refused.output and "consent-before-sharing" in refused.output
