"""``/log/``: the log as C2SP tlog-tiles, read-only, with the spec's cache headers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditkit.web import create_app

from auditkit.ledger.tlog.static_dir import write_tiles
from tests import tlog_reference as spec
from tests.web.conftest import Web, World


def _vkey(world: World) -> str:
    return world.installation.signer().verifier().verifier_key_string()


def test_the_served_log_verifies_with_a_reader_written_from_the_spec(
    world: World, web: Callable[[str | None], Web], tmp_path: Path
) -> None:
    anonymous, cora = web(None), web("cora")
    checkpoint = anonymous.client.get("/log/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in checkpoint.headers["Cache-Control"]
    _, size, _, _ = spec.open_checkpoint(checkpoint.data, _vkey(world))
    # Mirror what a client fetches over HTTP, then check it as a static directory.
    mirror = tmp_path / "mirror"
    (mirror / "checkpoint").parent.mkdir(parents=True)
    (mirror / "checkpoint").write_bytes(checkpoint.data)
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        for index in range((count + 255) // 256):
            path = spec.tile_path(level, index, min(256, count - index * 256))
            tile = anonymous.client.get(f"/log/{path}")
            assert tile.status_code == 200, path
            assert tile.headers["Content-Type"] == "application/octet-stream"
            assert tile.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            (mirror / path).parent.mkdir(parents=True, exist_ok=True)
            (mirror / path).write_bytes(tile.data)
        level += 1
    for index in range((size + 255) // 256):
        path = spec.tile_path("entries", index, min(256, size - index * 256))
        assert anonymous.client.get(f"/log/{path}").status_code == 302  # sign in first
        bundle = cora.client.get(f"/log/{path}")
        assert bundle.status_code == 200
        assert bundle.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        (mirror / path).parent.mkdir(parents=True, exist_ok=True)
        (mirror / path).write_bytes(bundle.data)
    assert spec.read_tiles(mirror, _vkey(world))[0] == size
    # The same bytes as `auditkit tiles write`.
    written = tmp_path / "written"
    write_tiles(world.installation, written)
    for path in mirror.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (written / path.relative_to(mirror)).read_bytes()


def test_tiles_the_tree_lacks_or_misspelled_are_404(
    world: World, web: Callable[[str | None], Web]
) -> None:
    anonymous = web(None)
    for path in (
        "tile/0/x000/000",  # not the canonical spelling
        "tile/0/000.p/0",
        "tile/64/000",
        "tile/0/999",  # beyond the newest checkpoint
        "tile/5/000.p/1",
        "tile/x",
    ):
        assert anonymous.client.get(f"/log/{path}").status_code == 404, path
    assert web("cole").client.get("/log/tile/entries/000.p/1").status_code == 403  # coach: no audit


def test_the_log_prefix_is_configurable(world: World) -> None:
    app = create_app(
        world.installation, secret_key=b"k" * 32, config={"AUDITKIT_LOG_PREFIX": "/tlog"}
    )
    client = app.test_client()
    assert client.get("/tlog/checkpoint").status_code == 200
    assert client.get("/log/checkpoint").status_code != 200
