"""Every route has a role rule, and a walk over every route × role gets exactly the expected
allow (anything but 403) or deny (403); signed out, everything but sign-in redirects to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from auditkit.web import create_app
from flask import Flask

from auditkit.quality import calibration, disputes
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.web.conftest import ROLE_USER, Web, World

ALL = {"admin", "compliance_officer", "qa_reviewer", "coach"}  # the staff roles
EVERYONE = ALL | {"agent"}
# endpoint -> roles allowed. Written out by hand: this is the specification the code must meet.
EXPECTED: dict[str, set[str]] = {
    "auth.index": EVERYONE,
    "auth.login": EVERYONE,
    "auth.logout": EVERYONE,
    "queue.mine": {"admin", "qa_reviewer"},
    "queue.manage": {"admin"},
    "queue.sample": {"admin"},
    "queue.reassign": {"admin"},
    "queue.save_rule": {"admin"},
    "conversations.index": ALL,
    "conversations.show": ALL,
    "conversations.reveal": {"admin", "compliance_officer", "qa_reviewer"},
    "findings.index": ALL,
    "reviews.workspace": {"admin", "qa_reviewer"},
    "reviews.save_draft": {"admin", "qa_reviewer"},
    "reviews.submit": {"admin", "qa_reviewer"},
    "reviews.revise": {"admin", "qa_reviewer"},
    "reviews.comment": {"admin", "qa_reviewer"},
    "reviews.record": ALL,
    "reviews.index": {"admin", "compliance_officer", "coach"},
    "reviews.mentions_list": ALL,
    "reviews.mention_read": ALL,
    "reviews.mentions_read_all": ALL,
    "agents.index": {"admin", "compliance_officer", "coach"},
    "agents.show": {"admin", "compliance_officer", "coach"},
    "coaching.index": {"admin", "qa_reviewer", "coach"},
    "coaching.candidates": {"admin", "qa_reviewer", "coach"},
    "coaching.confirm": {"admin", "qa_reviewer"},
    "reports.coaching": {"admin", "coach"},  # also needs agent scores (docs/reports.md)
    "reports.pack": {"admin", "qa_reviewer", "coach"},
    "reports.audit_form": {"admin", "compliance_officer"},
    "reports.audit_generate": {"admin", "compliance_officer"},
    "reports.audit_show": {"admin", "compliance_officer"},
    "reports.audit_download": {"admin", "compliance_officer"},
    "rubrics.index": EVERYONE,
    "rubrics.show": EVERYONE,
    "calibration.index": {"admin", "qa_reviewer", "coach"},
    "calibration.create": {"admin"},
    "calibration.show": {"admin", "qa_reviewer", "coach"},
    "calibration.score": {"admin", "qa_reviewer"},
    "calibration.submit": {"admin", "qa_reviewer"},
    "calibration.baseline": {"admin"},
    "calibration.submit_baseline": {"admin"},
    "calibration.close": {"admin"},
    "disputes.index": ALL,
    "disputes.show": ALL,
    "disputes.new": {"admin", "coach"},
    "disputes.contest": {"admin", "coach"},
    "disputes.resolve": {"admin", "qa_reviewer"},
    "dashboard.index": {"admin", "compliance_officer", "coach"},
    "dashboard.graders": {"admin"},
    "dashboard.check_form": {"admin"},
    "dashboard.check": {"admin"},
    "log.checkpoint": EVERYONE,
    "log.hash_tile": EVERYONE,
    "log.entry_bundle": {"admin", "compliance_officer"},
    "autoqa.flag": {"admin", "qa_reviewer"},
    "autoqa.prefill": {"admin", "qa_reviewer"},
    "admin.users": {"admin"},
    "admin.add_user": {"admin"},
    "admin.change_user": {"admin"},
    "admin.holds": {"admin", "compliance_officer"},
    "admin.place_hold": {"admin", "compliance_officer"},
    "admin.remove_hold": {"admin", "compliance_officer"},
    "admin.retention": {"admin", "compliance_officer"},
    # Four-eyes erasure is the compliance officers' duty, not the account manager's.
    "admin.erasure_list": {"compliance_officer"},
    "admin.request_erasure": {"compliance_officer"},
    "admin.approve_erasure": {"compliance_officer"},
    "admin.reject_erasure": {"compliance_officer"},
    "admin.carry_out_erasure": {"compliance_officer"},
    "me.index": {"agent"},
    "me.review": {"agent"},
    "me.acknowledge": {"agent"},
    "me.dispute_form": {"agent"},
    "me.dispute": {"agent"},
    "static": EVERYONE,
}
PUBLIC = {"auth.login", "static", "log.checkpoint", "log.hash_tile"}
NO_REPORT = "audit-20240101T000000Z-0000abcd"  # well-formed, never generated: 404 when allowed
# Webhooks authenticate by token, not by session and role: tests/integration/chatwoot covers them.
TOKEN_AUTHENTICATED = {"hooks.chatwoot"}


@pytest.fixture
def matrix_app(world: World) -> Flask:
    """The app with CSRF off: this walk tests role rules, test_web_security tests CSRF."""
    return create_app(
        world.installation,
        secret_key=b"m" * 32,
        config={"TESTING": True, "WTF_CSRF_ENABLED": False},
    )


@pytest.fixture
def urls(world: World) -> Callable[[str, str], str]:
    """An example URL for each endpoint, using objects the role's user owns where it matters."""
    (ada_item,) = world.assign("ada", size=1, seed="a")
    rita_items = world.assign("rita", size=2, seed="r")
    submitted = rita_items[1]
    rubric = workspaces.workspace(world.installation, world.users["rita"], submitted.id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    done = submissions.submit_review(
        world.installation, world.users["rita"], submitted.id, DraftInput(ratings=ratings)
    )
    own = {"admin": ada_item.id}
    ada_done = submissions.submit_review(
        world.installation, world.users["ada"], ada_item.id, DraftInput(ratings=ratings)
    )
    session_id = calibration.open_session(
        world.installation,
        world.users["ada"],
        title="matrix",
        rubric_hash=world.rubric_hash,
        conversation_keys=[rita_items[0].conversation_key],
        participant_ids=[world.users["ada"].id, world.users["rita"].id],
    )
    first = next(iter(rubric.criteria()))[1]
    lower = {first.id: first.scale.levels[0]}
    rita_dispute, ada_dispute = (
        disputes.open_dispute(
            world.installation, world.users["cole"], seq, comment="too kind", proposed=lower
        )
        for seq in (done.seq, ada_done.seq)
    )
    own_dispute = {"admin": ada_dispute}

    def url(endpoint: str, role: str) -> str:
        assignment = own.get(role, rita_items[0].id)
        key = rita_items[0].conversation_key
        return {
            "auth.index": "/",
            "auth.login": "/login",
            "auth.logout": "/logout",
            "queue.mine": "/queue",
            "queue.manage": "/queue/manage",
            "queue.sample": "/queue/sample",
            "queue.reassign": f"/queue/assignments/{rita_items[0].id}/reassign",
            "queue.save_rule": "/queue/rules",
            "conversations.index": "/conversations",
            "conversations.show": f"/conversations/{key}",
            "conversations.reveal": f"/reveal/{key}",
            "findings.index": "/findings",
            "reviews.workspace": f"/reviews/{assignment}",
            "reviews.save_draft": f"/reviews/{assignment}/draft",
            "reviews.submit": f"/reviews/{assignment}/submit",
            "reviews.revise": f"/reviews/{assignment}/revise",
            "reviews.comment": f"/reviews/{assignment}/comments",
            "reviews.record": f"/review-records/{done.seq}",
            "reviews.index": "/review-records",
            "reviews.mentions_list": "/mentions",
            "reviews.mention_read": "/mentions/999/read",
            "reviews.mentions_read_all": "/mentions/read-all",
            "agents.index": "/agents",
            "agents.show": "/agents/agent-lucas",
            "coaching.index": "/coaching",
            "coaching.candidates": "/coaching/candidates",
            "coaching.confirm": "/coaching/candidates/confirm",
            "reports.coaching": "/reports/coaching",
            "reports.pack": "/reports/pack",
            "reports.audit_form": "/reports/audit",
            "reports.audit_generate": "/reports/audit",
            "reports.audit_show": f"/reports/audit/{NO_REPORT}",
            "reports.audit_download": f"/reports/audit/{NO_REPORT}/pdf",
            "rubrics.index": "/rubrics",
            "rubrics.show": f"/rubrics/{world.rubric_hash}",
            "calibration.index": "/calibration",
            "calibration.create": "/calibration",
            "calibration.show": f"/calibration/{session_id}",
            "calibration.score": f"/calibration/{session_id}/score/{key}",
            "calibration.submit": f"/calibration/{session_id}/score/{key}",
            "calibration.baseline": f"/calibration/{session_id}/baseline/{key}",
            "calibration.submit_baseline": f"/calibration/{session_id}/baseline/{key}",
            "calibration.close": f"/calibration/{session_id}/close",
            "disputes.index": "/disputes",
            "disputes.show": f"/disputes/{rita_dispute}",
            "disputes.new": f"/review-records/{done.seq}/dispute",
            "disputes.contest": f"/review-records/{done.seq}/dispute",
            "disputes.resolve": f"/disputes/{own_dispute.get(role, rita_dispute)}/resolve",
            "dashboard.index": "/dashboard",
            "dashboard.graders": "/graders",
            "dashboard.check_form": f"/review-records/{done.seq}/grader-check",
            "dashboard.check": f"/review-records/{done.seq}/grader-check",
            "autoqa.flag": f"/autoqa/{key}/flag",
            "autoqa.prefill": f"/reviews/{assignment}/autoqa-prefill",
            "admin.users": "/admin/users",
            "admin.add_user": "/admin/users",
            "admin.change_user": "/admin/users/rob",
            "admin.holds": "/admin/holds",
            "admin.place_hold": "/admin/holds",
            "admin.remove_hold": "/admin/holds/999/remove",
            "admin.retention": "/admin/retention",
            "admin.erasure_list": "/admin/erasure",
            "admin.request_erasure": "/admin/erasure",
            "admin.approve_erasure": "/admin/erasure/999/approve",
            "admin.reject_erasure": "/admin/erasure/999/reject",
            "admin.carry_out_erasure": "/admin/erasure/999/carry-out",
            "me.index": "/me",
            "me.review": f"/me/reviews/{done.seq}",
            "me.acknowledge": f"/me/reviews/{done.seq}/acknowledge",
            "me.dispute_form": f"/me/reviews/{done.seq}/dispute",
            "me.dispute": f"/me/reviews/{done.seq}/dispute",
            "static": "/static/app.css",
            "log.checkpoint": "/log/checkpoint",
            "log.hash_tile": "/log/tile/0/000.p/1",
            "log.entry_bundle": "/log/tile/entries/000.p/1",
        }[endpoint]

    return url


def _routes(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in TOKEN_AUTHENTICATED
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    )


def test_every_route_declares_a_rule_and_is_in_the_matrix(matrix_app: Flask) -> None:
    endpoints = {endpoint for endpoint, _method in _routes(matrix_app)}
    assert endpoints == set(EXPECTED), "add new routes to EXPECTED (and give them a rule)"
    for endpoint in endpoints - {"static"}:
        view = matrix_app.view_functions[endpoint]
        assert getattr(view, "route_rule", None) is not None, f"{endpoint} has no role rule"


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_every_route_for_every_role(
    matrix_app: Flask, urls: Callable[[str, str], str], role: str
) -> None:
    results = []
    for endpoint, method in _routes(matrix_app):
        client = Web(matrix_app.test_client())
        client.login(ROLE_USER[role])
        url = urls(endpoint, role)
        response = client.client.open(url, method=method, data={})
        allowed = role in EXPECTED[endpoint]
        ok = response.status_code != 403 if allowed else response.status_code == 403
        assert response.status_code < 500, (endpoint, method, response.get_data(as_text=True))
        results.append((endpoint, method, response.status_code, "allow" if allowed else "deny", ok))
    wrong = [r for r in results if not r[-1]]
    assert not wrong, wrong


def test_signed_out_every_route_but_sign_in_redirects_to_it(
    matrix_app: Flask, urls: Callable[[str, str], str]
) -> None:
    for endpoint, method in _routes(matrix_app):
        response = matrix_app.test_client().open(urls(endpoint, "qa_reviewer"), method=method)
        if endpoint in PUBLIC:
            # The sign-in page itself: a form, or a refusal of an empty sign-in.
            assert response.status_code in {200, 401}, (endpoint, method)
        else:
            assert response.status_code == 302, (endpoint, method)
            assert response.headers["Location"].startswith("/login"), endpoint
