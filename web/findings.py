"""The findings list: policy results filtered like ``auditkit findings``, paginated, and
downloadable as CSV or JSON (the same rows the command line gives)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from auditkit.accounts.users import Permission
from auditkit.review import findings as findings_service

from .base.context import installation, user
from .base.pages import download_stream, page_number, page_size
from .base.security import requires

bp = Blueprint("findings", __name__)


@bp.get("/findings")
@requires(Permission.CONVERSATION_READ)
def index() -> str | Response:
    """Failed (or passed) policy results with their evidence; ``?format=csv|json`` downloads."""
    query = findings_service.findings_query(installation(), request.args)
    wanted = request.args.get("format", "html")
    if wanted in ("csv", "json"):
        rows = findings_service.iter_findings(installation(), query)
        if wanted == "csv":
            return download_stream(
                findings_service.findings_csv_chunks(rows), "findings.csv", "text/csv"
            )
        return download_stream(
            findings_service.findings_json_chunks(rows), "findings.json", "application/json"
        )
    found = findings_service.findings_page(
        installation(),
        user(),
        query,
        page=page_number(request.args),
        per_page=page_size(request.args),
    )
    choices = findings_service.findings_choices(installation())
    return render_template("findings.html", found=found, choices=choices)
