"""Fixtures of the review app: a demo installation with one user per role, and web clients."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from auditkit.web import create_app
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from auditkit.accounts import users as accounts
from auditkit.accounts.users import User
from auditkit.ledger.installation import Installation
from auditkit.periods import utc_now
from auditkit.review import queue as review_queue
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID, available_rubrics
from auditkit.review.sampling import SamplingMethod
from auditkit.sources.ingest import import_files
from tests.factories import DATA
from tests.templates import Stage

PASSWORD = "correct-horse-battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# username -> (role, participant id)
PEOPLE = {
    "ada": ("admin", None),
    "cora": ("compliance_officer", None),
    "rita": ("qa_reviewer", None),
    "rob": ("qa_reviewer", None),
    "amara": ("qa_reviewer", "agent-amara"),  # an agent who also reviews
    "cole": ("coach", None),
    "lucas": ("agent", "agent-lucas"),  # an agent who signs in to see their own reviews
}
ROLE_USER = {
    "admin": "ada",
    "compliance_officer": "cora",
    "qa_reviewer": "rita",
    "coach": "cole",
    "agent": "lucas",
}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the cheapest parameters, so each test does not spend seconds hashing."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)


@dataclass
class World:
    """A demo installation: the demo conversations and one user per person above."""

    installation: Installation
    users: dict[str, User]
    rubric_hash: str

    def assign(
        self, reviewer: str, *, size: int = 3, seed: str = "fixed", method: str = "random"
    ) -> list[review_queue.Assignment]:
        """Sample ``size`` conversations for ``reviewer`` (as the admin) and return their queue."""
        review_queue.sample_and_assign(
            self.installation,
            self.users["ada"],
            review_queue.SampleRequest(
                method=SamplingMethod(method),
                size=size,
                filters=frozenset(),
                rubric_hash=self.rubric_hash,
                reviewer_ids=(self.users[reviewer].id,),
                due_on=(utc_now() + timedelta(days=7)).date(),
                seed=seed,
            ),
        )
        return review_queue.my_queue(self.installation, self.users[reviewer])


def _build_world(installation: Installation) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    hasher = accounts._hasher
    accounts._hasher = lambda: cheap  # type: ignore[assignment]
    try:
        import_files(installation, [DATA / "demo" / "conversations.jsonl"])
        for name, (role, participant) in PEOPLE.items():
            accounts.add_user(
                installation,
                username=name,
                display_name=name.title(),
                role=role,
                password=PASSWORD,
                participant_id=participant,
            )
    finally:
        accounts._hasher = hasher  # type: ignore[assignment]


@pytest.fixture
def installation_stage(request: pytest.FixtureRequest) -> Stage:
    """Tests using ``world`` start from a copied template that holds it already."""
    if "world" in request.fixturenames:
        return Stage("web-world", _build_world)
    return Stage("initialised")


@pytest.fixture
def world(installation: Installation) -> World:
    """The demo data imported and a user for each role (password ``PASSWORD``)."""
    users = {user.username: user for user in accounts.list_users(installation)}
    assert set(users) == set(PEOPLE), "the world template holds exactly the people above"
    (rubric,) = [r for r in available_rubrics(installation) if r.id == DEFAULT_RUBRIC_ID]
    return World(installation=installation, users=users, rubric_hash=rubric.content_hash)


@pytest.fixture
def app(world: World) -> Flask:
    """The app over the demo installation, CSRF on, as in production."""
    return create_app(world.installation, secret_key=b"k" * 32, config={"TESTING": True})


class Web:
    """A test client that keeps the page's CSRF token and sends it with every form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def _keep(self, response: TestResponse) -> TestResponse:
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        """GET, remembering the page's CSRF token."""
        return self._keep(self.client.get(url, **kwargs))

    def post(
        self, url: str, data: Mapping[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        """POST a form, with the CSRF token unless ``csrf`` is False."""
        form = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/login")
            form["csrf_token"] = self.token
        return self._keep(self.client.post(url, data=form, **kwargs))

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        """Sign in and load the first page."""
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.get("/", follow_redirects=True)
        return response


@pytest.fixture
def web(app: Flask) -> Callable[[str | None], Web]:
    """``web("rita")`` is a client signed in as rita; ``web(None)`` is signed out."""

    def make(username: str | None) -> Web:
        client = Web(app.test_client())
        if username:
            client.login(username)
        return client

    return make


@pytest.fixture
def anonymous(app: Flask) -> Iterator[Web]:
    """A signed-out client."""
    yield Web(app.test_client())


def text(response: TestResponse) -> str:
    """The response body as text, HTML entities decoded (so messages read as written)."""
    return html.unescape(response.get_data(as_text=True))
