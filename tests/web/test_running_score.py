"""The score so far while rating: computed by the rubric's own rules (unrated criteria left
out as N/A), shown on the page and sent back by every autosave; equal to the submitted
review's score once every criterion is rated."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Web, World, text
from tests.web.test_web_review import TOP, assignment, records  # noqa: F401

JSON = {"Accept": "application/json"}


def test_the_running_score_follows_the_ratings_and_ends_as_the_review_score(
    web: Callable[[str | None], Web],
    world: World,
    assignment: object,  # noqa: F811
) -> None:
    rita = web("rita")
    url = f"/reviews/{assignment.id}"  # type: ignore[attr-defined]
    assert "Score so far" in text(rita.get(url)) and "0 of 8 rated" in text(rita.get(url))
    one = rita.post(f"{url}/draft", {"rating.problem-understanding": "5", "action": "autosave"})
    assert one.get_json()["score"] == "100.00" and one.get_json()["rated"] == 1
    two = rita.post(
        f"{url}/draft",
        {
            "rating.problem-understanding": "5",
            "rating.guidance-effectiveness": "1",
            "action": "autosave",
        },
        headers=JSON,
    )
    assert two.get_json()["score"] not in ("100.00", None) and two.get_json()["rated"] == 2
    failed = rita.post(
        f"{url}/draft",
        {"rating.problem-understanding": "5", "rating.identity-verified": "fail"},
        headers=JSON,
    )
    assert failed.get_json()["score"] == "0.00"
    assert failed.get_json()["critical_failures"] == ["identity-verified"]
    full = rita.post(f"{url}/draft", {**TOP, "action": "autosave"}).get_json()
    assert full["rated"] == full["total"] == 8
    rita.post(f"{url}/submit", TOP)
    ((_seq, body),) = records(world, "review")
    assert body["score"] == full["score"]


def test_a_reveal_survives_posting_a_comment(
    web: Callable[[str | None], Web],
    world: World,
    assignment: object,  # noqa: F811
) -> None:
    from tests.web.test_web_review import KEY, message_seqs

    rita = web("rita")
    item = assignment.id  # type: ignore[attr-defined]
    rita.get(f"/reviews/{item}")
    revealed = rita.post(f"/reveal/{KEY}", {"reason": "check the account number", "back": item})
    back = revealed.headers["Location"]
    reveal = back.split("reveal=", 1)[1]
    page = text(rita.get(back))
    assert "María González" in page
    posted = rita.post(
        f"/reviews/{item}/comments?reveal={reveal}",
        {"message_seq": str(message_seqs(world)[0]), "text": "Greets by name: good."},
    )
    assert posted.status_code == 302 and f"reveal={reveal}" in posted.headers["Location"]
    after = text(rita.get(posted.headers["Location"]))
    assert "María González" in after and "Greets by name: good." in after


def test_a_mention_in_a_comment_reaches_that_users_list(
    web: Callable[[str | None], Web],
    world: World,
    assignment: object,  # noqa: F811
) -> None:
    from auditkit.quality.mentions import mentioned
    from tests.web.test_web_review import message_seqs

    rita = web("rita")
    item = assignment.id  # type: ignore[attr-defined]
    rita.get(f"/reviews/{item}")
    posted = rita.post(
        f"/reviews/{item}/comments",
        {
            "message_seq": str(message_seqs(world)[0]),
            "text": "@cole worth a coaching slot; mail x@rob.io",
        },
        follow_redirects=True,
    )
    assert "Mentioned: cole" in text(posted)
    listed = text(web("cole").get("/mentions"))
    assert "worth a coaching slot" in listed and "nb-2024-10431" in listed
    assert "Nobody has mentioned you yet." in text(web("rob").get("/mentions"))  # not x@rob.io
    assert mentioned("hi @Cole and @nobody, @cole", {"cole", "rob"}) == ("cole",)
