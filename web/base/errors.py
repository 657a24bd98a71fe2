"""The one place auditkit errors become HTTP statuses and error pages."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from auditkit.errors import (
    AccessDenied,
    AuditkitError,
    ConfigError,
    Conflict,
    InputRefused,
    LoginRefused,
    LoginThrottled,
    NotFound,
    NotInitialised,
    WriterBusy,
)
from auditkit.privacy.erasure import ErasureRefused
from auditkit.reporting.audit import ReportRefused, ReportScopeInvalid
from auditkit.rubric import RatingsInvalid, RubricInvalid

# First match wins: subclasses before their bases.
STATUSES: tuple[tuple[type[AuditkitError], int], ...] = (
    (InputRefused, 400),
    (ReportScopeInvalid, 400),
    (RatingsInvalid, 400),
    (LoginRefused, 401),
    (AccessDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (ReportRefused, 409),
    (ErasureRefused, 409),  # a legal hold, already erased, sealing off
    (LoginThrottled, 429),
    (RubricInvalid, 500),
    (NotInitialised, 503),
    (WriterBusy, 503),
    (ConfigError, 503),
    (AuditkitError, 500),
)
TITLES = {
    400: "Not accepted",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Changed meanwhile",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Not ready",
}


def status_for(error: AuditkitError) -> int:
    """The HTTP status of an auditkit error."""
    for kind, status in STATUSES:
        if isinstance(error, kind):
            return status
    return 500


def problems_of(error: AuditkitError) -> list[str]:
    """The messages to show for an error: every problem of a refused input."""
    if isinstance(error, InputRefused | RatingsInvalid | RubricInvalid):
        return [str(p) for p in error.problems]
    return [str(error)]


def _page(status: int, problems: list[str]) -> tuple[str, int]:
    return (
        render_template(
            "error.html", status=status, title=TITLES.get(status, "Error"), reasons=problems
        ),
        status,
    )


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(AuditkitError)
    def auditkit_error(error: AuditkitError) -> tuple[str, int] | Response:
        status = status_for(error)
        if status >= 500:
            app.logger.error("request failed: %s", error)
        body, code = _page(status, problems_of(error))
        response = app.make_response((body, code))
        if isinstance(error, LoginThrottled):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return _page(
            400,
            [
                "The form expired or did not come from this site. Reload the page and try "
                f"again ({error.description})."
            ],
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        message = {
            403: "Your role does not allow this page or action.",
            404: f"There is nothing at {request.path}.",
        }.get(error.code, error.description or "")
        return _page(error.code, [message])
