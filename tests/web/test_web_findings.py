"""Policy results where people work: on the conversation page, beside the rubric's gates in
the workspace (a disagreement is recorded with the review), and the findings list with its
CSV and JSON downloads, which equal ``auditkit findings --format csv|json``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest

from auditkit.checks.service import run_checks
from auditkit.review import queue as review_queue
from tests.conftest import Cli
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import records

FAILED_IDENTITY = "nb-2024-10611"  # update-address after a failed identity validation (seq 175)


@pytest.fixture
def checked(world: World) -> World:
    """The demo world with every policy checked."""
    run_checks(world.installation)
    return world


def test_the_conversation_page_lists_every_policy_result_failures_first(
    web: Callable[[str | None], Web], checked: World
) -> None:
    page = text(web("cole").get(f"/conversations/{FAILED_IDENTITY}"))
    card = page[page.index('id="checks"') :]
    card = card[: card.index("</section>")]
    assert card.index("identity-validation") < card.index("Passed")
    assert "Failed" in card and "critical" in card
    assert "followed an identity validation that did not succeed" in card
    assert 'href="#e-175"' in card  # the failed validation event, linked
    assert 'id="e-175"' in page  # and the transcript has that anchor


def test_a_conversation_never_checked_says_so(
    web: Callable[[str | None], Web], world: World
) -> None:
    page = text(web("cole").get(f"/conversations/{FAILED_IDENTITY}"))
    assert "No policy has been checked on this conversation yet" in page


def _assignment(world: World, key: str) -> review_queue.Assignment:
    items = world.assign("rita", size=12)
    return next(a for a in items if a.conversation_key == key)


def test_a_gate_shows_its_policy_and_a_disagreement_is_recorded_with_the_review(
    web: Callable[[str | None], Web], checked: World
) -> None:
    item = _assignment(checked, FAILED_IDENTITY)
    rita = web("rita")
    page = text(rita.get(f"/reviews/{item.id}"))
    gate = page[page.index('id="gate-identity-verified"') :]
    gate = gate[: gate.index("</div>")]
    assert "identity-validation" in gate and "Failed" in gate
    assert "gate-disagrees" not in gate and "hidden" in gate  # nothing rated yet

    ratings = {
        "rating.problem-understanding": "4",
        "rating.guidance-effectiveness": "4",
        "rating.tone-consistency": "3",
        "rating.proactive-information": "3",
        "rating.closure-confirmation": "pass",
        "rating.identity-verified": "pass",  # the policy failed
        "rating.consent-recorded": "na",
        "rating.sensitive-data-handling": "pass",
    }
    saved = rita.post(f"/reviews/{item.id}/draft", {**ratings, "action": "save"})
    assert saved.status_code == 302, text(saved)[text(saved).find("problems") :][:600]
    page = text(rita.get(f"/reviews/{item.id}"))
    assert 'class="gate gate-disagrees" id="gate-identity-verified"' in page
    assert "gate-note" in page and "Your rating disagrees with the automated check." in page

    done = rita.post(f"/reviews/{item.id}/submit", ratings, follow_redirects=True)
    assert "disagree with the automated check of identity-validation" in text(done)
    ((_seq, body),) = records(checked, "review")
    gates = {g["criterion"]: g for g in body["policy_checks"]}  # type: ignore[union-attr]
    assert gates["identity-verified"]["disagrees"] is True
    assert gates["identity-verified"]["outcome"] == "fail"
    assert gates["identity-verified"]["policy_id"] == "identity-validation"
    assert isinstance(gates["identity-verified"]["result_seq"], int)
    assert gates["consent-recorded"]["disagrees"] is False


def test_findings_filter_like_the_command_line_and_page(
    web: Callable[[str | None], Web], checked: World
) -> None:
    cora = web("cora")
    page = text(cora.get("/findings?policy=identity-validation"))
    assert FAILED_IDENTITY in page and "nb-2024-10502" in page
    assert "2 results · page 1 of 1" in page
    everything = text(cora.get("/findings?outcome=all"))
    assert "page 1 of 3" in everything and 'rel="next"' in everything
    last = text(cora.get("/findings?outcome=all&page=3"))
    assert "page 3 of 3" in last and 'rel="prev"' in last and 'rel="next"' not in last
    none = text(cora.get("/findings?policy=identity-validation&channel=in_app_chat"))
    assert "No result matches these filters." in none


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("policy=consent-before-sharing", "policy: no policy 'consent-before-sharing' is known"),
        ("agent=agent-nobody", "agent: no agent 'agent-nobody' is known"),
        ("severity=urgent", "severity: 'urgent' is not one of low, medium, high, critical"),
        ("channel=fax", "channel: no channel 'fax' is known"),
        ("intent=teleport", "intent: no intent 'teleport' is known"),
        ("since=yesterday", "since: 'yesterday' is not a date"),
        ("page=0", "page: '0' is not a page number"),
    ],
)
def test_unknown_filter_values_are_refused_on_the_web(
    web: Callable[[str | None], Web], checked: World, query: str, message: str
) -> None:
    response = web("cora").get(f"/findings?{query}")
    assert response.status_code == 400
    assert message in text(response)
    assert "Nothing was saved" not in text(response)


def test_unknown_filter_values_are_refused_on_the_command_line(run: Cli, checked: World) -> None:
    refused = run("findings", "--policy", "nope", "--agent", "agent-nobody", ok=False)
    assert refused.exit_code == 1
    assert "policy: no policy 'nope' is known" in refused.output
    assert "agent: no agent 'agent-nobody' is known" in refused.output


@pytest.mark.parametrize("wanted", ["csv", "json"])
def test_downloads_equal_the_command_lines_rows(
    web: Callable[[str | None], Web], checked: World, run: Cli, wanted: str
) -> None:
    filters = {"severity": "critical", "since": "2024-01-01"}
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    response = web("cora").get(f"/findings?{query}&format={wanted}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="findings.{wanted}"'
    args = [x for k, v in filters.items() for x in (f"--{k}", v)]
    printed = run("findings", *args, "--format", wanted).output
    assert response.get_data(as_text=True) == printed
    rows = list(csv.DictReader(io.StringIO(printed))) if wanted == "csv" else json.loads(printed)
    assert {r["conversation"] for r in rows} >= {FAILED_IDENTITY, "nb-2024-10502"}
    assert all(r["severity"] == "critical" and r["outcome"] == "fail" for r in rows)
    assert all("@" not in str(r["evidence"]) for r in rows)  # redacted


def test_a_csv_cell_never_starts_a_formula() -> None:
    from auditkit.review.findings import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("fine") == "fine" and spreadsheet_safe(3) == 3


def test_sampling_draws_from_conversations_that_failed_chosen_policies(
    web: Callable[[str | None], Web], checked: World
) -> None:
    from tests.web.test_web_queue import assignment_rows, sample

    ada = web("ada")
    refused = sample(ada, checked, size="12", failed_policies=["consent-before-sharing"])
    assert refused.status_code == 400
    assert "failed policies: no policy 'consent-before-sharing' is loaded" in text(refused)
    assert assignment_rows(checked) == []
    response = sample(ada, checked, size="12", failed_policies=["identity-validation"])
    assert response.status_code == 302
    assert {r["conversation_key"] for r in assignment_rows(checked)} == {
        FAILED_IDENTITY,
        "nb-2024-10502",
    }
    assert "2 of 2 eligible conversations assigned" in text(ada.get("/queue/manage"))


@pytest.mark.parametrize("erased", [False, True])
def test_evidence_from_excerpts_equals_evidence_from_whole_conversations(
    checked: World, erased: bool
) -> None:
    """The downloads cut their excerpts from the messages table, the evidence records and the
    opened records' participants; the same results read from whole unsealed conversations
    say the same (an erased customer's too)."""
    from auditkit.db.engine import read_transaction
    from auditkit.ledger.reader import load_conversations
    from auditkit.pii.masking import scan_redactor
    from auditkit.privacy.erasure import erase_subject
    from auditkit.review import findings as service
    from auditkit.review import search_store

    installation = checked.installation
    if erased:
        erase_subject(installation, "cust-maria-gonzalez", reason="asked")
    query = service.findings_query(installation, {"outcome": "all"})
    streamed = list(service.iter_findings(installation, query))
    with read_transaction(installation.engine) as conn:
        rows = search_store.result_rows(
            conn, query.scope, policy=None, severity=None, outcome=None, offset=0, limit=None
        )
        keys = sorted({str(r["conversation_key"]) for r in rows})
        whole = {c.key: c for c in load_conversations(conn, keys, master=installation.master_key())}
        redactor = scan_redactor(conn, installation, whole.values())
        expected = [service._result(r, whole[str(r["conversation_key"])], redactor) for r in rows]
    assert streamed == expected
    shown = [e.text for r in streamed for e in r.evidence]
    assert any("[NAME]" in t for t in shown)  # customers' names masked: participants were read
    assert any(e.number for r in streamed for e in r.evidence)  # message numbers kept


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_is_the_same_text_as_one_dump(checked: World, count: int) -> None:
    from auditkit.review import findings as service

    query = service.findings_query(checked.installation, {"outcome": "all"})
    results = service.all_findings(checked.installation, query, limit=count or 1)[:count]
    dumped = json.dumps([service.finding_row(r) for r in results], ensure_ascii=False, indent=1)
    assert "".join(service.findings_json_chunks(results)) == dumped + "\n"


def test_downloads_are_streamed(web: Callable[[str | None], Web], checked: World) -> None:
    response = web("cora").client.get("/findings?outcome=all&format=csv", buffered=False)
    assert response.status_code == 200
    assert "Content-Length" not in response.headers  # sent as read, not built whole first
    body = response.get_data(as_text=True)
    assert body.startswith("conversation,channel,") and body.count("\n") > 10
