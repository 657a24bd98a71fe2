"""Sessions end when they should, stay with the browser that opened them, and sign-in
throttling cannot be raced or turned into a lock-out of everyone behind one address."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.accounts import users as accounts
from auditkit.errors import LoginRefused, LoginThrottled
from tests.web.conftest import PASSWORD, Web, World

COOKIE = "__Host-auditkit"


def _replay(app: Flask, source: Web, **client_kwargs: object) -> Web:
    """A second browser holding a copy of ``source``'s session cookie."""
    cookie = source.client.get_cookie(COOKIE)
    assert cookie is not None
    thief = Web(app.test_client())
    thief.client.set_cookie(COOKIE, cookie.value, domain=cookie.domain)
    return thief


def _signed_in(client: Web, **kwargs: object) -> bool:
    response = client.client.get("/queue", **kwargs)
    return response.status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(
    app: Flask, web: Callable[[str | None], Web]
) -> None:
    rita = web("rita")
    thief = _replay(app, rita)
    assert _signed_in(thief)
    assert rita.post("/logout").status_code == 302
    assert not _signed_in(thief)
    assert not _signed_in(rita)


def test_sign_out_ends_every_session_of_that_user_only(
    web: Callable[[str | None], Web],
) -> None:
    laptop, phone, other = web("rita"), web("rita"), web("rob")
    laptop.post("/logout")
    assert not _signed_in(phone)
    assert _signed_in(other)


def test_a_session_of_a_disabled_user_does_not_come_back_when_enabled(
    app: Flask, web: Callable[[str | None], Web], world: World
) -> None:
    rita = web("rita")
    thief = _replay(app, rita)
    accounts.set_active(world.installation, "rita", active=False)
    accounts.set_active(world.installation, "rita", active=True)
    assert not _signed_in(thief)
    assert not _signed_in(rita)
    rita.login("rita")
    assert _signed_in(rita)


def test_a_password_change_ends_every_session(
    web: Callable[[str | None], Web], world: World
) -> None:
    rita = web("rita")
    accounts.set_password(world.installation, "rita", "a-brand-new-passphrase")
    assert not _signed_in(rita)
    fresh = web(None)
    fresh.get("/login")
    assert fresh.post("/login", {"username": "rita", "password": PASSWORD}).status_code == 401
    assert (
        fresh.post("/login", {"username": "rita", "password": "a-brand-new-passphrase"}).status_code
        == 302
    )


def test_a_weak_new_password_is_refused_and_sessions_stay(
    web: Callable[[str | None], Web], world: World
) -> None:
    rita = web("rita")
    with pytest.raises(Exception, match="at least 12 characters"):
        accounts.set_password(world.installation, "rita", "short")
    assert _signed_in(rita)


def test_a_permanent_session_replayed_with_another_user_agent_is_refused(
    app: Flask, web: Callable[[str | None], Web]
) -> None:
    rita = web("rita")
    thief = _replay(app, rita)
    assert _signed_in(thief)  # werkzeug's test client: same agent, same address
    assert not _signed_in(thief, headers={"User-Agent": "curl/8.0"})
    # The replayed session is gone for good, even back with the original agent.
    assert not _signed_in(thief)


def test_a_session_replayed_from_another_address_is_refused(
    app: Flask, web: Callable[[str | None], Web]
) -> None:
    rita = web("rita")
    thief = _replay(app, rita)
    assert not _signed_in(thief, environ_base={"REMOTE_ADDR": "203.0.113.9"})


def test_a_forged_forwarded_for_header_does_not_matter_without_behind_proxy(
    app: Flask, web: Callable[[str | None], Web]
) -> None:
    rita = web("rita")
    assert _signed_in(rita, headers={"X-Forwarded-For": "198.51.100.7"})


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = Counter[str]()

    class SlowHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            checked["verify"] += 1
            time.sleep(0.05)  # a real argon2 check takes this long; it widens any race
            return super().verify(hash, password)

    slow = SlowHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: slow)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(40)

    def attempt() -> None:
        start.wait()
        try:
            accounts.authenticate(
                world.installation,
                username="rita",
                password="wrong-password-here",
                remote_addr="198.51.100.1",
            )
            outcome = "ok"
        except LoginRefused:
            outcome = "refused"
        except LoginThrottled:
            outcome = "throttled"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {"refused": accounts.MAX_FAILURES_PER_USERNAME, "throttled": 35}
    assert checked["verify"] == accounts.MAX_FAILURES_PER_USERNAME


def test_a_locked_pair_leaves_the_same_user_free_from_another_address(
    world: World,
) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME):
        with pytest.raises(LoginRefused):
            accounts.authenticate(
                world.installation,
                username="rita",
                password="wrong-password-here",
                remote_addr="198.51.100.1",
            )
    with pytest.raises(LoginThrottled):
        accounts.authenticate(
            world.installation, username="rita", password=PASSWORD, remote_addr="198.51.100.1"
        )
    signed = accounts.authenticate(
        world.installation, username="rita", password=PASSWORD, remote_addr="198.51.100.2"
    )
    assert signed.username == "rita"


def test_twenty_bad_attempts_behind_one_address_lock_nobody_else_out(
    web: Callable[[str | None], Web],
) -> None:
    office = web(None)
    office.get("/login")
    for index in range(20):
        response = office.post("/login", {"username": f"guess{index}", "password": "x" * 12})
        assert response.status_code == 401
    for name in ("rob", "rita", "cole"):
        colleague = web(None)
        colleague.get("/login")
        assert colleague.post("/login", {"username": name, "password": PASSWORD}).status_code == (
            302
        ), name


@given(target=st.text(max_size=60))
@settings(max_examples=400, deadline=None)
def test_next_is_either_refused_or_a_same_origin_path_free_of_control_characters(
    target: str,
) -> None:
    from auditkit.web.base.auth import _safe_next

    kept = _safe_next(target)
    if kept is None:
        return
    assert kept.startswith("/") and not kept.startswith("//")
    assert "\\" not in kept
    assert not any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in kept)
    parts = urlsplit(kept)
    assert not parts.scheme and not parts.netloc


def test_users_set_password_from_the_cli_ends_the_users_sessions(
    web: Callable[[str | None], Web], run: Any
) -> None:
    rita = web("rita")
    run.env = {**run.env, "AUDITKIT_NEW_USER_PASSWORD": "short"}
    refused = run("users", "set-password", "rita", ok=False)
    assert refused.exit_code == 1 and "at least 12 characters" in refused.output
    assert _signed_in(rita)
    run.env = {**run.env, "AUDITKIT_NEW_USER_PASSWORD": "another-long-passphrase"}
    assert "their sessions have ended" in run("users", "set-password", "rita").output
    assert not _signed_in(rita)
    assert "no user 'nobody'" in run("users", "set-password", "nobody", ok=False).output
