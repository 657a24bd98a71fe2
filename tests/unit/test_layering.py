"""Imports point inward: domain code imports no Flask, click or WeasyPrint; only storage imports SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "auditkit"
UI_LIBRARIES = {"flask", "click", "weasyprint", "werkzeug", "jinja2"}
DOMAIN = ["ledger", "importers", "pii", "checks", "rubric", "metrics.py"]
INNER = [*DOMAIN, "storage", "services", "errors.py", "settings.py"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(part: str) -> list[Path]:
    target = PACKAGE / part
    if target.is_file():
        return [target]
    return sorted(target.rglob("*.py")) if target.is_dir() else []


@pytest.mark.parametrize("part", INNER)
def test_inner_layers_import_no_ui_library(part: str) -> None:
    for path in _files(part):
        bad = {name for name in _imports(path) if name.split(".")[0] in UI_LIBRARIES}
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


@pytest.mark.parametrize("part", DOMAIN)
def test_domain_imports_neither_sqlalchemy_nor_services(part: str) -> None:
    for path in _files(part):
        bad = {
            name
            for name in _imports(path)
            if name.split(".")[0] == "sqlalchemy"
            or name.startswith(("auditkit.services", "auditkit.storage", "auditkit.cli"))
        }
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


def test_the_layering_check_sees_the_domain() -> None:
    assert _files("ledger"), "the ledger package must exist for this check to mean anything"
