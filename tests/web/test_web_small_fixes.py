"""Small things a new user tripped over: a 403 page that said "Nothing was saved", no
favicon, the empty queue of a queue manager not linking to sampling, chart labels cut
mid-word, two queue entries that read alike."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template_string

from tests.web.conftest import Web, World, text


def test_an_error_page_names_the_error_not_a_form_problem(
    web: Callable[[str | None], Web], world: World
) -> None:
    response = web("rita").get("/dashboard")
    assert response.status_code == 403
    body = text(response)
    assert "Nothing was saved" not in body and "Your role does not allow" in body


def test_every_page_names_a_favicon_that_exists(
    web: Callable[[str | None], Web], world: World
) -> None:
    client = web("rita")
    assert 'rel="icon" href="/static/favicon.svg"' in text(client.get("/queue"))
    assert client.get("/static/favicon.svg").status_code == 200


def test_an_empty_queue_links_a_queue_manager_to_sampling(
    web: Callable[[str | None], Web], world: World
) -> None:
    assert 'href="/queue/manage#sample-form"' in text(web("ada").get("/queue"))
    assert "/queue/manage" not in text(web("rita").get("/queue"))
    nav = text(web("ada").get("/queue"))
    assert ">My queue<" in nav and ">Manage queue<" in nav


def test_chart_labels_are_cut_between_words(app: object) -> None:
    from dataclasses import dataclass

    @dataclass
    class Bar:
        key: str
        label: str
        value: float
        text: str
        count: int

    long = Bar("c", "Identity verified before account details were discussed", 50.0, "50", 1)
    with app.test_request_context():  # type: ignore[attr-defined]
        svg = render_template_string(
            '{% from "dashboard_charts.html" import bars %}{{ bars(items, "t", "x") }}',
            items=[long],
        )
    label = svg.split('fill="#394452">', 1)[1].split("</text>", 1)[0]
    assert label.endswith("…") and long.label.startswith(label[:-1].rstrip())
    assert long.label[len(label[:-1].rstrip())] == " "  # the cut falls at a space
