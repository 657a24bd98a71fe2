"""What list screens share: the page number, links that keep the filters, downloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from flask import Flask, Response, stream_with_context, url_for
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


def page_size(args: MultiDict[str, str], default: int = 50, most: int = 500) -> int:
    """The ``per_page`` argument (``default`` when absent), from 1 to ``most``."""
    value = args.get("per_page", "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise InputRefused([f"per_page: {value!r} is not a number from 1 to {most}"])
    return int(value)


def list_url(endpoint: str, shown: Mapping[str, str], **changes: object) -> str:
    """The URL of a list with its filters (empty ones left out) and some changed."""
    args: dict[str, Any] = {k: v for k, v in shown.items() if v}
    args.update({k: v for k, v in changes.items() if v not in (None, "")})
    return url_for(endpoint, **args)


def download(body: str, filename: str, mimetype: str) -> Response:
    """A text download named ``filename``."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download_stream(pieces: Iterable[str], filename: str, mimetype: str) -> Response:
    """A text download named ``filename``, sent as ``pieces`` come (the first bytes leave
    before the last rows are read). Check the request before: once streaming has begun, a
    refusal can no longer change the status."""
    response = Response(stream_with_context(iter(pieces)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def week_end(monday: str) -> str:
    """The Sunday (YYYY-MM-DD) of the week starting ``monday``: a week's drill-down period."""
    return (date.fromisoformat(monday) + timedelta(days=6)).isoformat()


def init_app(app: Flask) -> None:
    """Make ``list_url`` a template function and ``week_end`` a filter."""
    app.add_template_global(list_url, "list_url")
    app.add_template_filter(week_end, "week_end")
