"""Imports point down only, over everything shipped (auditkit/, web/, reports/), by file role.

- A feature imports only features below it (``RANKS``), never one above or beside it.
- Only ``db/``, ``tables.py``, ``store.py`` and ``*_store.py`` modules import SQLAlchemy.
- ``web/`` and ``reports/`` import no store, no tables and no ``auditkit.db``: they call features.
- Nothing below the screens (reports, web, cli) imports Flask, click, WeasyPrint, Werkzeug or Jinja.

``auditkit/db/schema.py`` is the one exception: it gathers every feature's tables into the one
MetaData that Alembic targets, so it may import every ``tables`` module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"auditkit": "auditkit", "web": "auditkit.web", "reports": "auditkit.reports"}
CORE = {"errors", "settings", "periods", "paging", "home", "db"}
RANKS = {
    "core": 0,
    "ledger": 1,
    "rubric": 2,
    "privacy": 2,
    "accounts": 2,
    "metrics": 2,
    "pii": 2,
    "checks": 3,
    "sources": 3,
    "review": 4,
    # AutoQA reads checks, metrics, rubrics and the human reviews it is measured against, and
    # the dashboard (quality) shows it: between the two, so neither review nor the queue can
    # read an automatic score unless a screen puts it beside the human one.
    "autoqa": 4.5,
    "quality": 5,
    "reporting": 6,
    "reports": 7,
    "web": 8,
    "cli": 9,
}
TOP = 7
UI_LIBRARIES = {"flask", "flask_login", "flask_wtf", "click", "weasyprint", "werkzeug", "jinja2"}
SCHEMA_MODULE = "auditkit.db.schema"


def _modules(root: Path) -> dict[str, Path]:
    """Every shipped module by dotted name."""
    found: dict[str, Path] = {}
    for folder, package in SHIPPED.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")) if base.is_dir() else []:
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Dotted names a module imports; ``from a import b`` counts as ``a.b`` when that is a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                joined = f"{node.module}.{alias.name}"
                names.add(joined if joined in known else node.module)
    return names


def _feature(module: str) -> str:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    return "core" if name in CORE else name


def _role_may_use_sqlalchemy(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return (
        module.startswith("auditkit.db") or leaf in {"tables", "store"} or leaf.endswith("_store")
    )


def _is_storage(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return (
        leaf in {"tables", "store"} or leaf.endswith("_store") or module.startswith("auditkit.db")
    )


def layering_problems(root: Path) -> list[str]:
    """Every import in the tree at ``root`` that breaks the rules above, one line each."""
    modules = _modules(root)
    known = set(modules)
    problems: list[str] = []
    for module, path in modules.items():
        where = path.relative_to(root)
        feature = _feature(module)
        rank = RANKS.get(feature)
        if rank is None and module != "auditkit":
            problems.append(f"{where}: package {feature!r} has no rank in the layering")
            continue
        for name in sorted(_imports(path, known)):
            top = name.split(".")[0]
            if top == "sqlalchemy" and not _role_may_use_sqlalchemy(module):
                problems.append(f"{where} imports SQLAlchemy ({name}): only stores and tables may")
            if top in UI_LIBRARIES and (rank or 0) < TOP:
                problems.append(f"{where} imports {name}: UI libraries belong to cli/web/reports")
            if not name.startswith("auditkit.") or module == SCHEMA_MODULE:
                continue
            target = _feature(name)
            if feature in {"web", "reports"} and _is_storage(name):
                problems.append(f"{where} imports {name}: screens call features, not storage")
            target_rank = RANKS.get(target)
            if target == feature or target_rank is None or module == "auditkit":
                continue
            if target_rank >= (rank or 0):
                problems.append(
                    f"{where} imports {name}: {feature} (rank {rank}) may only import "
                    f"features below it, not {target} (rank {target_rank})"
                )
    return problems


def test_everything_shipped_follows_the_layering() -> None:
    problems = layering_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_the_layering_check_sees_every_shipped_part() -> None:
    modules = _modules(ROOT)
    for expected in ("auditkit.ledger.store", "auditkit.web.queue", "auditkit.reports"):
        assert expected in modules, f"{expected} must be seen for this check to mean anything"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


BASE = {
    "auditkit/__init__.py": "",
    "auditkit/review/__init__.py": "",
    "auditkit/review/store.py": "import sqlalchemy\n",
    "auditkit/review/queue.py": "from auditkit.review import store\n",
    "auditkit/quality/__init__.py": "",
    "auditkit/quality/disputes.py": "from auditkit.review import queue\n",
    "web/__init__.py": "",
    "web/queue.py": "from auditkit.review import queue\n",
}


def test_a_clean_purpose_made_tree_passes(tmp_path: Path) -> None:
    assert layering_problems(_tree(tmp_path, BASE)) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("web/disputes.py", "from auditkit.review import store\n", "screens call features"),
        ("web/coaching.py", "from auditkit.db import read_transaction\n", "screens call features"),
        (
            "auditkit/review/history.py",
            "from auditkit.quality import disputes\n",
            "review (rank 4) may only import features below it, not quality (rank 5)",
        ),
        (
            "auditkit/review/queue.py",
            "from auditkit.autoqa import service\n",
            "review (rank 4) may only import features below it, not autoqa (rank 4.5)",
        ),
        ("auditkit/review/sampling.py", "from sqlalchemy import select\n", "imports SQLAlchemy"),
        ("auditkit/quality/views.py", "import flask\n", "UI libraries"),
    ],
)
def test_the_layering_check_refuses_a_bad_import(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    problems = layering_problems(_tree(tmp_path, {**BASE, name: text}))
    assert len(problems) == 1 and expected in problems[0], problems
