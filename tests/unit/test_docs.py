"""Every command and setting is documented, so the docs cannot silently fall behind."""

from __future__ import annotations

import re
from pathlib import Path

import click

from auditkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{full} "))
    return names


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in _commands(cli) if f"auditkit {name}" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "auditkit" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'"(AUDITKIT_[A-Z_]+)"', source))
    assert variables
    missing = sorted(v for v in variables if v not in readme)
    assert not missing, f"README.md does not document: {missing}"


def test_the_documents_the_issue_names_exist() -> None:
    for name in ("architecture.md", "export-format.md", "import-format.md"):
        assert (ROOT / "docs" / name).is_file(), name
