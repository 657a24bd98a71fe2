"""The log as C2SP tlog-tiles and tlog-proof files, checked with code auditkit did not write:
a reader written from the specs (tests/tlog_reference.py) and Go's x/mod sumdb tlog + note."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import Result

from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.static_dir import write_tiles
from auditkit.ledger.tlog.tiles import TilePathError, encode_index, parse_tile_path
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.ingest import import_files
from tests import tlog_reference as spec
from tests.conftest import Cli
from tests.factories import DATA
from tests.go_tlog import go_verifier_fixture  # noqa: F401  (the go_verifier fixture)


def _grow(installation: Installation) -> None:
    """Several batches, over 256 records: full and partial tiles at levels 0 and 1."""
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])


def _vkey(installation: Installation) -> str:
    return installation.signer().verifier().verifier_key_string()


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_indexes_use_the_spec_path_encoding(index: int, encoded: str) -> None:
    assert encode_index(index) == encoded
    assert parse_tile_path(f"tile/3/{encoded}.p/5").index == index


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/x000/001",
        "tile/0/1",
        "tile/00/000",
        "tile/64/000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/entries/000/",
        "tile/0/x001",
        "checkpoint/x",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_a_tiles_directory_verifies_with_a_reader_written_from_the_spec(
    installation: Installation, tmp_path: Path
) -> None:
    _grow(installation)
    result = write_tiles(installation, tmp_path / "log")
    size, _, entries = spec.read_tiles(tmp_path / "log", _vkey(installation))
    assert size == result.tree_size > 256
    with installation.engine.connect() as conn:
        from sqlalchemy import text

        stored = [
            bytes(e) for (e,) in conn.execute(text("SELECT entry FROM log_entries ORDER BY seq"))
        ]
    assert entries == stored  # the exact leaf bytes, sealed bodies as stored


def test_go_tlog_verifies_the_tiles_directory(
    installation: Installation, tmp_path: Path, go_verifier: Path
) -> None:
    _grow(installation)
    write_tiles(installation, tmp_path / "log")
    checked = subprocess.run(
        [str(go_verifier), "tiles", str(tmp_path / "log"), _vkey(installation)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "tree hash rebuilt from tiles" in checked.stdout


def test_tiles_write_is_incremental_and_keeps_immutable_files(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    directory = tmp_path / "log"
    first = write_tiles(installation, directory)
    before = {p: p.stat().st_ino for p in (directory / "tile").rglob("*") if p.is_file()}
    again = write_tiles(installation, directory)
    assert again.written == 0 and again.kept == first.written
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    grown = write_tiles(installation, directory)
    # 240 -> 316 records: the old partial tiles stay (older checkpoints need them) and the
    # full tiles, the new partial ones and the first level-1 tile are added beside them.
    assert (grown.written, grown.kept) == (5, 0)
    for path, inode in before.items():
        assert path.stat().st_ino == inode  # never rewritten
    spec.read_tiles(directory, _vkey(installation))  # the newest checkpoint's tiles are all there


def test_verify_checks_the_tiles_against_the_log(
    installation: Installation, tmp_path: Path
) -> None:
    _grow(installation)
    directory = tmp_path / "log"
    write_tiles(installation, directory)
    assert verify_ledger(installation).ok
    tile = directory / "tile" / "entries" / "000"
    data = bytearray(tile.read_bytes())
    data[10] ^= 1
    tile.write_bytes(bytes(data))
    report = verify_ledger(installation)
    assert [str(p) for p in report.problems] == [f"ledger: {tile}: differs from the log"]


def test_cli_tiles_write_and_prove_as_tlog_proof(
    run: Cli, env: dict[str, str], tmp_path: Path, go_verifier: Path
) -> None:
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    written: Result = run("tiles", "write", str(tmp_path / "log"))
    assert "written" in written.output
    vkey = run("keys", "verifier").stdout.strip()
    printed = run("prove", "7", "--format", "tlog-proof").stdout
    run("prove", "7", "--format", "tlog-proof", "--out", str(tmp_path / "p"))
    proof_file, entry_file = tmp_path / "p" / "7.tlog-proof", tmp_path / "p" / "7.entry"
    assert proof_file.read_text() == printed
    index, _ = spec.check_tlog_proof(printed, entry_file.read_bytes(), vkey)
    assert index == 7
    checked = subprocess.run(
        [str(go_verifier), "proof", str(proof_file), str(entry_file), vkey],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    # A different record's bytes do not verify with this proof.
    (tmp_path / "p" / "other").write_bytes(entry_file.read_bytes().replace(b'"seq":7', b'"seq":8'))
    wrong = subprocess.run(
        [str(go_verifier), "proof", str(proof_file), str(tmp_path / "p" / "other"), vkey],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 1 and "inclusion" in wrong.stderr
