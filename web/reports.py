"""Report downloads: coaching reports and coaching packs as PDF, generated on request and recorded."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, request

from auditkit.services import packs, reports
from auditkit.services.accounts import Permission

from .context import installation, user
from .security import requires

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.post("/coaching")
@requires(Permission.COACHING_READ)
def coaching() -> Response:
    """Generate the agent's coaching report (recorded in the ledger) and send the PDF."""
    from auditkit.reports import render_coaching

    agent = request.form.get("agent", "").strip()
    with tempfile.TemporaryDirectory(prefix="auditkit-report-") as tmp:
        result = reports.coaching_report(
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
        raise reports.ReportScopeInvalid("the number of examples must be a whole number") from None
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
