"""The log as C2SP tlog-tiles, read-only, under ``/log/`` (or the configured prefix).

``checkpoint`` and hash tiles are public: hashes and the signed tree head are what
witnesses and monitors need. Entry bundles hold the records' leaf bytes (sealed where
they carry personal content, clear around it), so they need the audit permission.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from auditkit.accounts.users import Permission
from auditkit.errors import NotFound, TamperDetected
from auditkit.ledger.tlog.tile_source import log_resource
from auditkit.ledger.tlog.tiles import TilePathError
from auditkit.ledger.tlog.witnesses import cosigned_note

from ..base.context import installation
from ..base.security import public, requires

bp = Blueprint("log", __name__)

CHECKPOINT_CACHE = "no-cache, max-age=0"
"""The checkpoint changes with every batch: clients must revalidate."""

TILE_CACHE = "max-age=31536000, immutable"
"""Every tile path names bytes that never change (a partial tile's width is in its path)."""


def _answer(path: str, *, private: bool) -> Response:
    try:
        resource = log_resource(installation(), path)
    except (TilePathError, NotFound) as exc:
        abort(404, str(exc))
    except TamperDetected as exc:
        abort(500, str(exc))
    data = resource.data
    if path == "checkpoint":
        data = cosigned_note(installation(), data.decode("utf-8")).encode("utf-8")
    response = Response(data, content_type=resource.content_type)
    scope = "private" if private else "public"
    cache = TILE_CACHE if resource.immutable else CHECKPOINT_CACHE
    response.headers["Cache-Control"] = f"{scope}, {cache}"
    return response


@bp.get("/checkpoint")
@public
def checkpoint() -> Response:
    """The newest signed checkpoint, with the witness cosignatures kept for it."""
    return _answer("checkpoint", private=False)


@bp.get("/tile/<path:rest>")
@public
def hash_tile(rest: str) -> Response:
    """A hash tile ``tile/<L>/<N>[.p/<W>]``."""
    if rest.startswith("entries/"):
        abort(404)  # served by entry_bundle, with its permission
    return _answer(f"tile/{rest}", private=False)


@bp.get("/tile/entries/<path:rest>")
@requires(Permission.REPORT_AUDIT)
def entry_bundle(rest: str) -> Response:
    """An entry bundle ``tile/entries/<N>[.p/<W>]`` (the records' exact leaf bytes)."""
    return _answer(f"tile/entries/{rest}", private=True)
