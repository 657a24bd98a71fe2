"""Sign-in, sessions, CSRF, security headers and sign-in throttling."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from auditkit.web import create_app
from flask import Flask
from sqlalchemy import func, select

from auditkit.accounts import users as accounts
from auditkit.accounts.tables import users
from auditkit.review.tables import review_assignments
from tests.web.conftest import PASSWORD, Web, World, text

POST_ROUTES = [
    ("/logout", {}),
    ("/queue/sample", {"method": "random", "size": "2", "due_on": "2999-01-01"}),
    ("/reveal/nb-2024-10431", {"reason": "a perfectly good reason"}),
]


def test_sign_in_sends_each_role_to_its_first_screen(web: Callable[[str | None], Web]) -> None:
    reviewer = web(None)
    reviewer.get("/login")
    response = reviewer.post("/login", {"username": "rita", "password": PASSWORD})
    assert response.headers["Location"] == "/queue"
    coach = web(None)
    coach.get("/login")
    response = coach.post("/login", {"username": "cole", "password": PASSWORD})
    assert response.headers["Location"] == "/conversations"


@pytest.mark.parametrize(
    ("username", "password"),
    [("rita", "wrong-password-here"), ("nobody", PASSWORD), ("", "")],
    ids=["wrong-password", "unknown-user", "empty"],
)
def test_a_refused_sign_in_says_so_without_telling_which_part(
    web: Callable[[str | None], Web], username: str, password: str
) -> None:
    client = web(None)
    client.get("/login")
    response = client.post("/login", {"username": username, "password": password})
    assert response.status_code == 401
    assert "unknown username or wrong password" in text(response)


def test_sign_in_is_throttled_after_five_failures_even_with_the_right_password(
    web: Callable[[str | None], Web],
) -> None:
    client = web(None)
    client.get("/login")
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME):
        assert (
            client.post("/login", {"username": "rita", "password": "nope-nope-nope"}).status_code
            == 401
        )
    response = client.post("/login", {"username": "rita", "password": PASSWORD})
    assert response.status_code == 429
    assert "too many failed sign-ins" in text(response)
    assert int(response.headers["Retry-After"]) > 0
    # Another account from the same address is not locked yet.
    assert client.post("/login", {"username": "rob", "password": PASSWORD}).status_code == 302


def test_an_address_is_throttled_across_usernames(web: Callable[[str | None], Web]) -> None:
    client = web(None)
    client.get("/login")
    for index in range(accounts.MAX_FAILURES_PER_ADDRESS):
        client.post("/login", {"username": f"guess{index}", "password": "x" * 12})
    response = client.post("/login", {"username": "rob", "password": PASSWORD})
    assert response.status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(
    web: Callable[[str | None], Web],
) -> None:
    client = web(None)
    client.get("/login")
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME - 1):
        client.post("/login", {"username": "rita", "password": "nope-nope-nope"})
    assert client.post("/login", {"username": "rita", "password": PASSWORD}).status_code == 302
    again = web(None)
    again.get("/login")
    assert (
        again.post("/login", {"username": "rita", "password": "nope-nope-nope"}).status_code == 401
    )
    assert again.post("/login", {"username": "rita", "password": PASSWORD}).status_code == 302


def test_passwords_are_stored_as_argon2id_hashes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher)  # the production parameters
    accounts.add_user(
        world.installation, username="new", display_name="", role="coach", password="a" * 16
    )
    with world.installation.engine.connect() as conn:
        stored = conn.execute(
            select(users.c.password_hash).where(users.c.username == "new")
        ).scalar()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "a" * 16 not in stored


def test_the_session_cookie_is_secure_httponly_samesite_and_host_prefixed(
    web: Callable[[str | None], Web],
) -> None:
    client = web(None)
    client.get("/login")
    response = client.post("/login", {"username": "rita", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-auditkit=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie


def test_security_headers_on_every_page(web: Callable[[str | None], Web]) -> None:
    client = web("rita")
    for url in ("/login", "/queue", "/conversations", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_any_page(
    web: Callable[[str | None], Web], world: World
) -> None:
    (item,) = world.assign("rita", size=1)
    client = web("rita")
    for url in ("/queue", f"/reviews/{item.id}", f"/conversations/{item.conversation_key}"):
        page = text(client.get(url))
        assert "<script>" not in page and "style=" not in page and "<style" not in page


@pytest.mark.parametrize(("url", "data"), POST_ROUTES, ids=[u for u, _ in POST_ROUTES])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    web: Callable[[str | None], Web], world: World, url: str, data: dict[str, str]
) -> None:
    client = web("ada")
    response = client.post(url, data, csrf=False)
    assert response.status_code == 400
    assert "did not come from this site" in text(response)
    with world.installation.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(review_assignments)).scalar() == 0
    assert client.get("/queue/manage").status_code == 200  # still signed in


def test_sign_in_itself_needs_the_csrf_token(web: Callable[[str | None], Web]) -> None:
    client = web(None)
    response = client.post("/login", {"username": "rita", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400


def test_sign_out_ends_the_session(web: Callable[[str | None], Web]) -> None:
    client = web("rita")
    assert client.post("/logout").status_code == 302
    assert client.get("/queue").headers["Location"].startswith("/login")


def test_a_disabled_users_session_stops_at_the_next_request(
    web: Callable[[str | None], Web], world: World
) -> None:
    client = web("rita")
    assert client.get("/queue").status_code == 200
    accounts.set_active(world.installation, "rita", active=False)
    assert client.get("/queue").status_code == 302
    client.get("/login")
    assert client.post("/login", {"username": "rita", "password": PASSWORD}).status_code == 401


def test_sign_in_never_redirects_off_site(web: Callable[[str | None], Web]) -> None:
    client = web(None)
    client.get("/login")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = client.client.post(
            f"/login?next={target}",
            data={"username": "rob", "password": PASSWORD, "csrf_token": client.token},
        )
        assert response.headers["Location"] == "/queue", target
        client.post("/logout")
        client.get("/login")
    response = client.client.post(
        "/login?next=/rubrics",
        data={"username": "rob", "password": PASSWORD, "csrf_token": client.token},
    )
    assert response.headers["Location"] == "/rubrics"


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "/%20/evil.example",
        "%09//evil.example",
        "/%00/evil.example",
        "/\u200b/evil.example",
        "https:/evil.example",
        "////evil.example",
        "/" + "a" * 3000,
    ],
)
def test_sign_in_with_control_characters_in_next_stays_on_site(
    web: Callable[[str | None], Web], target: str
) -> None:
    client = web(None)
    client.get("/login")
    response = client.client.post(
        f"/login?next={target}",
        data={"username": "rob", "password": PASSWORD, "csrf_token": client.token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/queue", target


def test_sign_in_keeps_a_same_origin_next_with_its_query(
    web: Callable[[str | None], Web],
) -> None:
    client = web(None)
    client.get("/login")
    response = client.client.post(
        "/login?next=/conversations%3Fchannel%3Dchat%23top",
        data={"username": "rob", "password": PASSWORD, "csrf_token": client.token},
    )
    assert response.headers["Location"] == "/conversations?channel=chat"


def test_the_secret_key_is_created_once_and_private(world: World) -> None:
    first = create_app(world.installation)
    second = create_app(world.installation)
    path = world.installation.settings.home / "web-secret.key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert path.stat().st_mode & 0o777 == 0o600


def test_plain_http_cookies_only_when_asked(app: Flask, world: World) -> None:
    assert app.config["SESSION_COOKIE_SECURE"] is True
    insecure = create_app(world.installation, secret_key=b"x" * 32, secure_cookies=False)
    assert insecure.config["SESSION_COOKIE_SECURE"] is False
    assert insecure.config["SESSION_COOKIE_NAME"] == "auditkit_session"
