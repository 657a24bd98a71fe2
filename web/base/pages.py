"""What list screens share: the page number, links that keep the filters, downloads."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, url_for
from werkzeug.datastructures import MultiDict

from auditkit.errors import InputRefused


def page_number(args: MultiDict[str, str]) -> int:
    """The ``page`` argument (1 when absent); anything but a positive whole number is refused."""
    value = args.get("page", "").strip()
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise InputRefused([f"page: {value!r} is not a page number (1, 2, …)"])
    return int(value)


def list_url(endpoint: str, shown: Mapping[str, str], **changes: object) -> str:
    """The URL of a list with its filters (empty ones left out) and some changed."""
    args: dict[str, object] = {k: v for k, v in shown.items() if v}
    args.update({k: v for k, v in changes.items() if v not in (None, "")})
    return url_for(endpoint, **args)


def download(body: str, filename: str, mimetype: str) -> Response:
    """A text download named ``filename``."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
