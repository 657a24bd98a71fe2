"""docs/web.md lists every route with its method and rule: a route missing there, or listed
with another rule, fails here."""

from __future__ import annotations

import re
from pathlib import Path

from auditkit.web import create_app
from flask import Flask

from auditkit.ledger.installation import Installation

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"
LINE = re.compile(r"^\| ([A-Z, ]+) \| `([^`]+)` \| (.+?) \| .*\|$")
EXTRA = {"/reports/coaching": "`coaching.read` + `agent_scores.read`"}  # two checks, one rule


def _documented() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        matched = LINE.match(line)
        if matched:
            for method in matched.group(1).split(", "):
                found[(method, matched.group(2))] = matched.group(3)
    return found


def _rule(app: Flask, endpoint: str) -> str:
    if endpoint == "static":
        return "public"
    if endpoint.startswith("hooks."):
        return "token"
    return str(app.view_functions[endpoint].route_rule)  # type: ignore[attr-defined]


def test_every_route_is_in_docs_web_md_with_its_rule(installation: Installation) -> None:
    app = create_app(installation, secret_key=b"d" * 32)
    documented = _documented()
    missing, wrong = [], []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            listed = documented.get((method, rule.rule))
            expected = EXTRA.get(rule.rule, f"`{_rule(app, rule.endpoint)}`")
            if listed is None:
                missing.append(f"{method} {rule.rule}")
            elif listed != expected:
                wrong.append(f"{method} {rule.rule}: docs say {listed}, the code {expected}")
    assert not missing, f"add to docs/web.md's Routes: {missing}"
    assert not wrong, wrong
    routes = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods or ()}
    stale = [f"{m} {r}" for m, r in documented if (m, r) not in routes]
    assert not stale, f"docs/web.md lists routes that do not exist: {stale}"
