"""Every Python package in the tree is shipped in the wheel (pyproject lists them explicitly)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    listed = set(config["packages"])
    folders = {target: name for name, target in config["package-dir"].items()}
    missing = []
    for init in sorted(ROOT.glob("**/__init__.py")):
        folder = init.parent.relative_to(ROOT).as_posix()
        if folder.startswith((".venv", "tests", "build", "bench")):
            continue
        name = folders.get(folder, folder.replace("/", "."))
        if name not in listed:
            missing.append(name)
    assert not missing, f"add to [tool.setuptools] packages: {missing}"
