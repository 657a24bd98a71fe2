"""Candidate coaching examples found in AutoQA's evidence: listed redacted for coaches, and
confirmed by a reviewer through the existing path (an example in their review, signed on
submit)."""

from __future__ import annotations

import re
from collections.abc import Callable

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.coaching import Evidence, evidence_seqs
from auditkit.autoqa.results import autoqa_results
from auditkit.reporting.packs import PackFilters, find_examples
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.web.conftest import Web, World, text


def _expected(world: World, wanted: Evidence) -> dict[str, tuple[int, ...]]:
    return {
        r.conversation_id: seqs
        for r in autoqa_results(world.installation)
        if r.rubric_hash == world.rubric_hash
        and (seqs := evidence_seqs(r.signals["signals"], wanted))
    }


def _shown(page: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for row in re.findall(
        r'<tr class="candidate" data-conversation="([^"]+)">(.*?)</tr>', page, re.S
    ):
        found[row[0]] = {int(s) for s in re.findall(r'data-seq="(\d+)"', row[1])}
    return found


def test_a_coach_finds_candidates_by_autoqa_evidence_shown_redacted(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    cole = web("cole")
    for wanted in (Evidence.RESOLUTION_CONFIRMED, Evidence.APOLOGY_WITHOUT_FIX, Evidence.EMPATHY):
        expected = _expected(world, wanted)
        page = text(cole.get(f"/coaching/candidates?evidence={wanted}"))
        shown = _shown(page)
        assert set(shown) == set(expected), wanted
        for key, seqs in shown.items():
            assert seqs and seqs <= set(expected[key])
        assert "Confirm into my review" not in page  # a coach cannot write reviews
    assert _expected(world, Evidence.RESOLUTION_CONFIRMED), "the demo data confirms resolutions"
    # Redacted as the conversation page shows it (redacted by default, masks and all).
    page = text(cole.get(f"/coaching/candidates?evidence={Evidence.RESOLUTION_CONFIRMED}"))
    shown_texts = re.findall(
        r'<div class="evidence" data-seq="\d+"><span class="muted">#\d+ \w*:</span> (.*?)</div>',
        page,
    )
    assert shown_texts
    pages = "".join(text(cole.get(f"/conversations/{key}")) for key in _shown(page))
    for shown_text in shown_texts:
        assert shown_text in pages


def test_unknown_evidence_is_refused_naming_the_field(
    web: Callable[[str | None], Web], world: World
) -> None:
    refused = web("cole").get("/coaching/candidates?evidence=rudeness")
    assert refused.status_code == 400
    assert "evidence: unknown evidence 'rudeness'" in text(refused)


def test_a_reviewer_confirms_a_candidate_into_the_library_through_a_signed_review(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    items = world.assign("rita", size=12, seed="coaching")
    rita = web("rita")
    page = text(rita.get(f"/coaching/candidates?evidence={Evidence.RESOLUTION_CONFIRMED}"))
    form = re.search(
        r'<form method="post" action="/coaching/candidates/confirm">(.*?)</form>', page, re.S
    )
    assert form, "rita has an open assignment of a candidate conversation"
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrf_token", None)
    bad = rita.post("/coaching/candidates/confirm", {**fields, "criterion": "no-such"})
    assert bad.status_code == 400 and "choose the criterion it illustrates" in text(bad)
    done = rita.post("/coaching/candidates/confirm", fields)
    assert done.status_code == 302 and f"/reviews/{fields['assignment_id']}" in done.location
    item = next(a for a in items if a.id == int(fields["assignment_id"]))
    space = workspaces.workspace(world.installation, world.users["rita"], item.id)
    (example,) = space.draft.examples
    assert (example.first_seq, example.label) == (fields["first_seq"], "exemplary")
    before = find_examples(world.installation, PackFilters(), limit=100)
    assert all(
        e.example.conversation_key != item.conversation_key for e in before
    )  # a draft is not
    ratings = {c.id: c.scale.levels[-1] for _s, c in space.rubric.criteria()}
    submissions.submit_review(
        world.installation,
        world.users["rita"],
        item.id,
        workspaces.DraftInput(ratings=ratings, examples=space.draft.examples),
    )
    after = find_examples(world.installation, PackFilters(), limit=100)
    assert any(
        e.example.conversation_key == item.conversation_key
        and e.first_seq == int(fields["first_seq"])
        for e in after
    )
