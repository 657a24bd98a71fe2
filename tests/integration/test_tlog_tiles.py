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


def test_the_tiles_of_a_tree_are_the_specs_example() -> None:
    """tlog-tiles: a tree of 70,000 has 273 full level-0 tiles, a partial one of 112, one
    full level-1 tile, a partial one of 17 and a partial level-2 tile of 1; 256 leaves
    make one full level-0 tile and a partial level-1 tile of width 1."""
    from auditkit.ledger.tlog.tiles import TileRef, tiles_for_size

    tiles = list(tiles_for_size(70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert len(level0) == 274 and [t.width for t in level0].count(256) == 273
    assert level0[-1] == TileRef(0, 273, 112)
    assert [t for t in tiles if t.level == 1] == [TileRef(1, 0), TileRef(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [TileRef(2, 0, 1)]
    assert list(tiles_for_size(256)) == [TileRef(0, 0), TileRef(1, 0, 1)]
    assert TileRef(2, 0, 1).end_leaf == 65_536 and TileRef(1, 1, 17).end_leaf == 69_888


def test_go_tlog_verifies_a_tree_with_level_2_tiles(
    installation: Installation, tmp_path: Path, go_verifier: Path
) -> None:
    """Over 65,536 records: partial tiles at levels 0, 1 and 2, read by Go's tile reader."""
    from auditkit.ledger.access import AccessAction, access_record
    from auditkit.ledger.append import appending
    from auditkit.periods import utc_now

    now = utc_now()
    with appending(installation) as batch:
        for start in range(0, 65_536 + 300, 5_000):
            batch.append(
                [
                    access_record(AccessAction.REPORT, actor="bulk", occurred_at=now, n=n)
                    for n in range(start, min(start + 5_000, 65_536 + 300))
                ]
            )
    result = write_tiles(installation, tmp_path / "log")
    assert result.tree_size == 65_836
    assert (tmp_path / "log" / "tile" / "2" / "000.p" / "1").is_file()
    checked = subprocess.run(
        [str(go_verifier), "tiles", str(tmp_path / "log"), _vkey(installation)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "65836 records proven" in checked.stdout


def test_two_tiles_writes_exclude_each_other(installation: Installation, tmp_path: Path) -> None:
    import fcntl

    from auditkit.ledger.tlog.static_dir import LOCK_FILE, TilesRefused

    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    directory = tmp_path / "log"
    directory.mkdir()
    with (directory / LOCK_FILE).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(TilesRefused, match="another `auditkit tiles write`"):
            write_tiles(installation, directory)
    assert not (directory / "checkpoint").exists()
    write_tiles(installation, directory)  # free again
    assert (directory / "checkpoint").is_file()


def test_sealed_text_stays_sealed_in_tiles_and_erasure_changes_no_tile(
    installation: Installation, tmp_path: Path
) -> None:
    from auditkit.privacy.erasure import erase_subject

    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    directory = tmp_path / "log"
    write_tiles(installation, directory)
    clear = b"I was charged twice by Lumen Electronics"
    assert clear in (DATA / "demo" / "conversations.jsonl").read_bytes()
    files = {p: p.read_bytes() for p in (directory / "tile").rglob("*") if p.is_file()}
    assert not any(clear in data for data in files.values())  # message bodies are sealed
    erase_subject(installation, "cust-maria-gonzalez", reason="erasure request")
    write_tiles(installation, directory)
    for path, data in files.items():
        assert path.read_bytes() == data  # erasure never changes a leaf, so no tile either
    spec.read_tiles(directory, _vkey(installation))
    assert verify_ledger(installation).ok
