"""The example library's score filter and its list of reviewed conversations (redacted search)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auditkit.web import create_app

from auditkit.accounts import users as accounts
from auditkit.reporting.audit import ReportScopeInvalid
from auditkit.reporting.packs import PackFilters, find_examples, find_reviewed
from tests.conftest import Cli
from tests.integration.reports.conftest import PASSWORD, ReportWorld, pdf_text

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CLEAR_EMAIL = "ines.duarte@example.org"  # sent in clear in hh-2024-55187, a reviewed conversation
NO_EXAMPLES = "nb-2024-10447"  # agent-lucas's, reviewed without marked examples


def _client(world: ReportWorld):  # type: ignore[no-untyped-def]
    accounts.add_user(
        world.installation, username="cole", display_name="Cole", role="coach", password=PASSWORD
    )
    app = create_app(world.installation, secret_key=b"k" * 32, config={"TESTING": True})
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    client.post(
        "/login", data={"username": "cole", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_the_score_filter_reads_the_reviews_score_on_the_examples_criterion(
    reviewed: ReportWorld,
) -> None:
    installation = reviewed.installation
    everything = find_examples(installation, PackFilters())
    scores = sorted({e.score for e in everything if e.score is not None})
    assert len(scores) >= 2, scores
    middle = scores[len(scores) // 2]
    low = find_examples(installation, PackFilters(max_score=middle - 0.01))
    high = find_examples(installation, PackFilters(min_score=middle))
    assert low and high
    assert all(e.score is not None and e.score < middle for e in low)
    assert all(e.score is not None and e.score >= middle for e in high)
    assert len(low) + len(high) == len(everything)
    exact = find_examples(installation, PackFilters(min_score=middle, max_score=middle))
    assert exact and {e.score for e in exact} == {middle}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (PackFilters(min_score=-1), "minimum score must be between 0 and 100"),
        (PackFilters(max_score=101), "maximum score must be between 0 and 100"),
        (PackFilters(min_score=60, max_score=40), "minimum score \\(60\\) is above the maximum"),
    ],
)
def test_a_score_out_of_range_is_refused(
    reviewed: ReportWorld, filters: PackFilters, message: str
) -> None:
    with pytest.raises(ReportScopeInvalid, match=message):
        find_examples(reviewed.installation, filters)
    with pytest.raises(ReportScopeInvalid, match=message):
        find_reviewed(reviewed.installation, filters)


def test_reviewed_conversations_include_those_without_marked_examples(
    reviewed: ReportWorld,
) -> None:
    installation = reviewed.installation
    listed = find_reviewed(installation, PackFilters())
    assert {r.conversation_key for r in listed} == set(reviewed.reviewed)
    by_key = {r.conversation_key: r for r in listed}
    assert by_key[NO_EXAMPLES].examples == 0 and by_key[NO_EXAMPLES].agent_id == "agent-lucas"
    assert any(r.examples for r in listed)  # agent-amara's carry their marked example

    lucas = find_reviewed(installation, PackFilters(agent="agent-lucas"))
    assert lucas and {r.agent_id for r in lucas} == {"agent-lucas"}

    iqs = sorted(r.iqs for r in listed if r.iqs is not None)
    weak = find_reviewed(installation, PackFilters(max_score=iqs[0]))
    assert weak and all(r.iqs == iqs[0] for r in weak)

    rated = find_reviewed(installation, PackFilters(criterion="proactive-information"))
    assert rated and all(r.criterion_score is not None for r in rated)
    floor = min(r.criterion_score or 0.0 for r in rated)
    lowest = find_reviewed(
        installation, PackFilters(criterion="proactive-information", max_score=floor)
    )
    assert lowest and all(r.criterion_score == floor for r in lowest)


def test_the_reviewed_search_runs_over_redacted_text_only(reviewed: ReportWorld) -> None:
    installation = reviewed.installation
    (found,) = find_reviewed(installation, PackFilters(search="larch road"))
    assert found.conversation_key == NO_EXAMPLES and "Larch Road" in found.snippet
    assert "Daniel" not in found.snippet  # the customer's name is masked in the snippet too
    assert find_reviewed(installation, PackFilters(search=CLEAR_EMAIL)) == ()
    assert find_reviewed(installation, PackFilters(search="ines.duarte")) == ()
    masked = find_reviewed(installation, PackFilters(search="[email]"))
    assert "hh-2024-55187" in {r.conversation_key for r in masked}


def test_the_library_lists_reviewed_conversations_with_links(reviewed: ReportWorld) -> None:
    client = _client(reviewed)
    page = client.get("/coaching?view=reviewed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Reviewed conversations" in html
    assert f'href="/conversations/{NO_EXAMPLES}"' in html
    assert "Download pack (PDF)" not in html  # packs are built from marked examples

    searched = client.get("/coaching?view=reviewed&q=larch+road").get_data(as_text=True)
    assert NO_EXAMPLES in searched and "Larch Road" in searched
    empty = client.get(f"/coaching?view=reviewed&q={CLEAR_EMAIL}").get_data(as_text=True)
    assert "No reviewed conversation matches" in empty and "hh-2024-55187" not in empty

    scored = client.get("/coaching?min_score=0&max_score=100&criterion=proactive-information")
    assert scored.status_code == 200 and "Download pack (PDF)" in scored.get_data(as_text=True)
    refused = client.get("/coaching?view=reviewed&min_score=70&max_score=20")
    assert "is above the maximum" in refused.get_data(as_text=True)
    assert client.get("/coaching?min_score=lots").status_code == 400


def test_the_cli_pack_takes_a_score_range(reviewed: ReportWorld, run: Cli, tmp_path: Path) -> None:
    scores = sorted({e.score for e in find_examples(reviewed.installation, PackFilters())})
    top = scores[-1]
    assert top is not None
    out = tmp_path / "pack"
    run("report", "pack", "--out", str(out), "--min-score", f"{top:g}", "--max-score", "100")
    text = " ".join(pdf_text(out / "coaching-pack.pdf").split())
    wanted = len(find_examples(reviewed.installation, PackFilters(min_score=top)))
    assert text.count("Reviewer: ") == wanted
    assert text.count("criterion score") == wanted
    assert f"min_score {top:g}" in text or f"min_score {top}" in text
    bad = run(
        "report",
        "pack",
        "--out",
        str(tmp_path / "b"),
        "--min-score",
        "80",
        "--max-score",
        "10",
        ok=False,
    )
    assert bad.exit_code == 1 and "is above the maximum" in bad.output
    outside = run("report", "pack", "--out", str(tmp_path / "c"), "--min-score", "120", ok=False)
    assert outside.exit_code == 2


def test_a_pack_downloaded_from_the_library_keeps_the_score_range(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    scores = sorted({e.score for e in find_examples(reviewed.installation, PackFilters())})
    top = scores[-1]
    assert top is not None
    wanted = len(find_examples(reviewed.installation, PackFilters(min_score=top)))
    everything = len(find_examples(reviewed.installation, PackFilters()))
    assert 0 < wanted < everything  # the range must leave some examples out to mean anything
    client = _client(reviewed)
    token = TOKEN.search(client.get("/coaching").get_data(as_text=True))
    assert token
    response = client.post(
        "/reports/pack",
        data={"min_score": f"{top:g}", "max_score": "100", "limit": "50", "csrf_token": token[1]},
    )
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(response.data)
    assert " ".join(pdf_text(pdf).split()).count("Reviewer: ") == wanted
