"""Report downloads: an agent's coaching report as PDF, generated on request and recorded."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, request

from auditkit.services import reports
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
