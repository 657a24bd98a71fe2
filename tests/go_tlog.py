"""Go's golang.org/x/mod/sumdb/tlog + note as an independent verifier (tests/go/tlogverify)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GO_SOURCE = Path(__file__).parent / "go" / "tlogverify"


@pytest.fixture(scope="session", name="go_verifier")
def go_verifier_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Go's golang.org/x/mod/sumdb/tlog + note (Debian's golang-golang-x-mod-dev), built once."""
    gopath = Path("/usr/share/gocode")
    if shutil.which("go") is None or not (gopath / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("CI"):
            pytest.fail("CI needs golang-go and golang-golang-x-mod-dev (see .ci/run)")
        pytest.skip(
            "no Go toolchain with golang.org/x/mod (apt install golang-go golang-golang-x-mod-dev)"
        )
    out = tmp_path_factory.mktemp("go") / "tlogverify"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(gopath),
        "GOCACHE": str(out.parent / "cache"),
        "GOFLAGS": "",
    }
    subprocess.run(["go", "build", "-o", str(out), "."], cwd=GO_SOURCE, env=env, check=True)
    return out
