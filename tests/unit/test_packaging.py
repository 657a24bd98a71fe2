"""Every Python package in the tree is shipped in the wheel (pyproject lists them explicitly)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

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


def test_every_data_folder_inside_a_shipped_package_is_a_declared_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    listed = set(config["packages"])
    data = config["package-data"]
    roots = {name: ROOT / target for name, target in config["package-dir"].items()}

    def folder_of(name: str) -> Path:
        # setuptools resolves a package through the longest mapped prefix of its name.
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in roots:
                return roots[prefix].joinpath(*parts[cut:])
        raise AssertionError(name)

    undeclared = []
    for name in listed:
        folder = folder_of(name)
        for child in folder.iterdir():
            if not child.is_dir() or child.name.startswith((".", "__")):
                continue
            if not any(f.is_file() and f.suffix != ".pyc" for f in child.iterdir()):
                continue
            if f"{name}.{child.name}" not in listed:
                undeclared.append(f"{name}.{child.name}")
            elif not (child / "__init__.py").exists() and f"{name}.{child.name}" not in data:
                undeclared.append(f"{name}.{child.name} (no package-data)")
    assert not undeclared, f"declare in [tool.setuptools] packages and package-data: {undeclared}"


def test_the_license_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"


@pytest.mark.slow
def test_building_the_wheel_prints_no_setuptools_warning(tmp_path: Path) -> None:
    import shutil

    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", "build", ".git", ".demo", "*.egg-info", "tests"),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "wheel"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    output = built.stdout + built.stderr
    warnings = [line for line in output.splitlines() if "Warning" in line or "!!" in line]
    assert not warnings, "\n".join(warnings)
    (wheel,) = (tmp_path / "wheel").glob("auditkit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for shipped in (
        "auditkit/web/templates/base.html",
        "auditkit/web/static/app.css",
        "auditkit/reports/templates/audit.html",
        "auditkit/checks/policies/default-restricted-data.yaml",
        "auditkit/migrations/versions/0008_metrics.py",
    ):
        assert shipped in names, shipped


def test_every_venv_the_makefile_builds_upgrades_pip_before_installing_the_lock() -> None:
    # A machine whose Python bundles an old pip (23.2 refuses the lock under --require-hashes)
    # must behave like one with a new pip: each venv is upgraded before the lock is installed.
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    venvs = [line.split("-m venv", 1)[1].split()[0] for line in lines if "-m venv" in line]
    assert venvs
    for venv in venvs:
        python = f"{venv}/bin/python" if not venv.startswith("$(VENV)") else "$(BIN)/python"
        upgrade = next(i for i, line in enumerate(lines) if python in line and "--upgrade" in line)
        lock = next(
            i for i, line in enumerate(lines) if python in line and "--require-hashes" in line
        )
        assert upgrade < lock, venv


def test_ci_starts_from_the_machines_own_python() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines()]
    assert lines.index("make clean") < lines.index("make test")
