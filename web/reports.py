"""Reports on the web: audit reports kept for download, and coaching reports and packs as PDF,
generated on request; every report and download is recorded."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from auditkit.accounts.users import Permission
from auditkit.errors import InputRefused
from auditkit.periods import day_bounds
from auditkit.reporting import audit as audit_reports
from auditkit.reporting import coaching as coaching_reports
from auditkit.reporting import packs
from auditkit.reporting import stored as stored_reports
from auditkit.reporting.parts import ReportScopeInvalid

from .base.context import installation, user
from .base.forms import optional_date, refuse_if
from .base.security import requires

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.post("/coaching")
@requires(Permission.COACHING_READ)
def coaching() -> Response:
    """Generate the agent's coaching report (recorded in the ledger) and send the PDF."""
    from auditkit.reports import render_coaching

    # A coaching report is an agent's scores: the agent page's permission too (docs/web.md).
    user().require(Permission.AGENT_SCORES_READ)
    agent = request.form.get("agent", "").strip()
    with tempfile.TemporaryDirectory(prefix="auditkit-report-") as tmp:
        result = coaching_reports.coaching_report(
            installation(),
            agent,
            Path(tmp) / "report",
            renderer=render_coaching,
            actor=user().username,
        )
        pdf = result.pdf_path.read_bytes()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", agent) or "agent"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="coaching-{name}.pdf"'},
    )


@bp.post("/pack")
@requires(Permission.COACHING_READ)
def pack() -> Response:
    """Build a coaching pack from the example library's filters and send the PDF (recorded)."""
    from auditkit.reports import render_pack

    from .coaching import pack_filters

    filters, _chosen = pack_filters(request.form)
    try:
        limit = int(request.form.get("limit", "10") or "10")
    except ValueError:
        raise ReportScopeInvalid("the number of examples must be a whole number") from None
    with tempfile.TemporaryDirectory(prefix="auditkit-pack-") as tmp:
        result = packs.coaching_pack(
            installation(),
            Path(tmp) / "pack",
            criterion=filters.criterion,
            intent=filters.intent,
            agent=filters.agent,
            label=filters.label,
            channel=filters.channel,
            since=filters.since,
            until=filters.until,
            search=filters.search,
            min_score=filters.min_score,
            max_score=filters.max_score,
            limit=limit,
            renderer=render_pack,
            actor=user().username,
        )
        pdf = result.pdf_path.read_bytes()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", filters.criterion or filters.intent or "examples")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="coaching-pack-{name}.pdf"'},
    )


@bp.get("/audit")
@requires(Permission.REPORT_AUDIT)
def audit_form() -> str:
    """The audit report's scope form and the audit reports recorded so far."""
    return _audit_page(MultiDict(), problems=[])


@bp.post("/audit")
@requires(Permission.REPORT_AUDIT)
def audit_generate() -> BaseResponse | tuple[str, int]:
    """Generate an audit report over the posted scope, keep it, and show it (POST-redirect-GET);
    a refused scope shows the form again with the reason and the input kept."""
    from auditkit.reports import render_audit, render_transcript

    try:
        scope = audit_scope(request.form)
        report = stored_reports.generate_audit_report(
            installation(),
            user(),
            scope,
            renderer=render_audit,
            transcript_renderer=render_transcript,
            clear_reason=clear_reason(request.form),
        )
    except InputRefused as refused:
        return _audit_page(request.form, problems=[str(p) for p in refused.problems]), 400
    except ReportScopeInvalid as refused:
        return _audit_page(request.form, problems=[str(refused)]), 400
    return redirect(url_for("reports.audit_show", report_id=report.report_id), code=303)


@bp.get("/audit/<report_id>")
@requires(Permission.REPORT_AUDIT)
def audit_show(report_id: str) -> str:
    """One kept audit report: its checkpoint, hashes, record and downloads."""
    report = stored_reports.stored_audit_report(installation(), report_id)
    return render_template(
        "audit_report.html",
        report=report,
        earlier=stored_reports.audit_reports(installation()),
    )


@bp.get("/audit/<report_id>/<part>")
@requires(Permission.REPORT_AUDIT)
def audit_download(report_id: str, part: str) -> Response:
    """Send a kept report's PDF, HTML or bundle (zip) as a download; the download is recorded."""
    found = stored_reports.download_audit_report(installation(), user(), report_id, part)
    return send_file(
        found.path,
        mimetype=found.mimetype,
        as_attachment=True,
        download_name=found.download_name,
        max_age=0,
    )


def audit_scope(form: MultiDict[str, str]) -> audit_reports.ReportScope:
    """The posted scope: whole UTC days from ``since`` to ``until`` (both included)."""
    problems: list[str] = []
    since = optional_date(form, "since", "from", problems)
    until = optional_date(form, "until", "to", problems)
    if since and until and since > until:
        problems.append(f"from ({since}) must not be after to ({until})")
    refuse_if(problems)
    start, end = day_bounds(since, until, field="to")
    return audit_reports.ReportScope(
        since=start,
        until=end,
        channels=_chosen(form, "channels"),
        agents=_chosen(form, "agents"),
        policies=_chosen(form, "policies"),
        queues=_chosen(form, "queues"),
    )


def clear_reason(form: MultiDict[str, str]) -> str | None:
    """The reason for clear-text transcripts when ``clear`` is ticked (None: redacted ones);
    a reason without the box ticked is refused rather than silently dropped."""
    reason = form.get("clear_reason", "")
    if form.get("clear") == "on":
        return reason
    refuse_if(
        ["reason: given, but clear-text transcripts are not ticked (tick them or clear it)"]
        if reason.strip()
        else []
    )
    return None


def _chosen(form: MultiDict[str, str], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in form.getlist(name) if v.strip()))


def _audit_page(form: MultiDict[str, str], *, problems: list[str]) -> str:
    return render_template(
        "audit_report_form.html",
        choices=stored_reports.audit_report_choices(installation()),
        earlier=stored_reports.audit_reports(installation()),
        form=form,
        chosen={name: _chosen(form, name) for name in ("channels", "agents", "queues", "policies")},
        problems=problems,
    )
