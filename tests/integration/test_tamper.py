"""`auditkit verify` catches every kind of tampering done behind auditkit's back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text

from auditkit.db.guards import drop_guards, install_guards
from auditkit.ledger import verify
from auditkit.ledger.checkpoint import Checkpoint, Signer, sign_checkpoint
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.records import format_time
from auditkit.ledger.tables import APPEND_ONLY_TABLES
from auditkit.ledger.verify import verify_ledger
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The forgeries below edit clear text inside the log, so it is stored clear here
    (a sealed ciphertext that is edited is caught the same way: see test_erasure.py)."""
    return {**env, "AUDITKIT_SEALING": "off"}


def _behind_the_back(
    installation: Installation, change: Callable[[Connection], None], *, restore_guards: bool = True
) -> None:
    """What an attacker with database access does: drop guards, change rows, put guards back."""
    with installation.engine.begin() as conn:
        drop_guards(conn, APPEND_ONLY_TABLES)
        change(conn)
        if restore_guards:
            install_guards(conn, APPEND_ONLY_TABLES)


def _flip_byte(conn: Connection) -> None:
    entry = conn.execute(text("SELECT entry FROM log_entries WHERE seq = 7")).scalar_one()
    forged = (
        bytes(entry).replace(b"message", b"messagf", 1)
        if b"message" in entry
        else bytes(entry)[:-2] + b"0}"
    )
    conn.execute(text("UPDATE log_entries SET entry = :e WHERE seq = 7"), {"e": forged})


def _delete_row(conn: Connection) -> None:
    conn.execute(text("DELETE FROM messages WHERE seq = 7"))
    conn.execute(text("DELETE FROM conversation_events WHERE seq = 7"))
    conn.execute(text("DELETE FROM log_entries WHERE seq = 7"))


def _swap_rows(conn: Connection) -> None:
    rows = conn.execute(
        text("SELECT seq, entry, leaf_hash FROM log_entries WHERE seq IN (7, 8) ORDER BY seq")
    ).all()
    for (seq, _, _), (_, entry, leaf) in zip(rows, reversed(rows), strict=True):
        conn.execute(
            text("UPDATE log_entries SET entry = :e, leaf_hash = :l WHERE seq = :s"),
            {"e": entry, "l": leaf, "s": seq},
        )


def _rewrite_record_and_tree(conn: Connection) -> None:
    """A careful forger also recomputes the leaf hash; only the signed root betrays them."""
    from auditkit.ledger import merkle

    entry = bytes(conn.execute(text("SELECT entry FROM log_entries WHERE seq = 7")).scalar_one())
    forged = entry.replace(b'"text":"', b'"text":"X', 1)
    assert forged != entry
    conn.execute(
        text("UPDATE log_entries SET entry = :e, leaf_hash = :l WHERE seq = 7"),
        {"e": forged, "l": merkle.leaf_hash(forged)},
    )
    leaves = [
        bytes(h) for (h,) in conn.execute(text("SELECT leaf_hash FROM log_entries ORDER BY seq"))
    ]
    tree = merkle.CompactRange()
    conn.execute(text("DELETE FROM merkle_nodes"))
    for leaf in leaves:
        for node, digest in tree.append(leaf):
            conn.execute(
                text("INSERT INTO merkle_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
                {"l": node.level, "i": node.index, "h": digest},
            )


def _forge_checkpoint(conn: Connection) -> None:
    size, origin_note = conn.execute(
        text("SELECT tree_size, note FROM checkpoints ORDER BY tree_size DESC")
    ).first()
    origin = origin_note.split("\n", 1)[0]
    signer = Signer(name=origin, private_key=Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(origin=origin, size=size, root_hash=b"\x00" * 32), signer)
    conn.execute(
        text("UPDATE checkpoints SET note = :n, root_hash = :r WHERE tree_size = :s"),
        {"n": note, "r": b"\x00" * 32, "s": size},
    )


def _edit_projection(conn: Connection) -> None:
    conn.execute(
        text(
            "UPDATE messages SET text = 'I never said that' "
            "WHERE seq = (SELECT min(seq) FROM messages WHERE seq >= 7)"
        )
    )


def _append_unsigned(conn: Connection) -> None:
    from auditkit.ledger import merkle
    from auditkit.ledger.records import RecordDraft, RecordKind, encode_entry

    seq = conn.execute(text("SELECT max(seq) FROM log_entries")).scalar_one() + 1
    draft = RecordDraft(
        kind=RecordKind.ACCESS, conversation=None, occurred_at=datetime.now(UTC), body={}
    )
    entry = encode_entry(seq, draft, "2026-01-01T00:00:00.000000Z")
    conn.execute(
        text(
            "INSERT INTO log_entries (seq, kind, conversation_key, recorded_at, occurred_at, entry, leaf_hash) "
            "VALUES (:seq, 'access', NULL, :ra, :oa, :e, :l)"
        ),
        {
            "seq": seq,
            "ra": "2026-01-01T00:00:00.000000Z",
            "oa": format_time(draft.occurred_at),
            "e": entry,
            "l": merkle.leaf_hash(entry),
        },
    )


CASES = [
    ("byte flipped", _flip_byte, 7, "do not match leaf hash"),
    ("row deleted", _delete_row, 7, "record missing"),
    ("rows swapped", _swap_rows, 7, "disagree"),
    (
        "record and tree rewritten",
        _rewrite_record_and_tree,
        0,
        "differs from its signed checkpoint",
    ),
    ("checkpoint forged", _forge_checkpoint, None, "checkpoint"),
    ("query table edited", _edit_projection, None, "query table messages"),
    ("unsigned record appended", _append_unsigned, None, "not covered by a signed checkpoint"),
]


@pytest.mark.parametrize(
    ("change", "seq", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verify_reports_the_first_bad_seq_and_why(
    installation: Installation, change: Callable[[Connection], None], seq: int | None, reason: str
) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    assert verify_ledger(installation).ok
    _behind_the_back(installation, change)
    report = verify_ledger(installation)
    assert not report.ok
    first = report.problems[0]
    assert reason in first.reason
    if seq is not None:
        assert first.seq == seq


@pytest.mark.parametrize(
    ("change", "seq", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verify_reads_the_next_chunk_ahead_and_still_finds_the_first_bad_seq(
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Connection], None],
    seq: int | None,
    reason: str,
) -> None:
    """With chunks of 4 leaves, verify reads chunk k+1 in its second thread while chunk k
    is hashed (seq 7 is in the second chunk): a clean log checks every leaf and node, and
    each forgery is still reported at the first bad seq."""
    monkeypatch.setattr(verify, "CHUNK_LEVEL", 2)
    monkeypatch.setattr(verify, "CHUNK", 4)
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    clean = verify_ledger(installation)
    with installation.engine.connect() as conn:
        records = conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one()
        nodes = conn.execute(text("SELECT count(*) FROM merkle_nodes")).scalar_one()
    assert clean.ok, clean.problems
    assert records > 12  # several chunks
    assert (clean.tree_size, clean.nodes_checked) == (records, nodes)
    _behind_the_back(installation, change)
    report = verify_ledger(installation)
    assert not report.ok
    assert reason in report.problems[0].reason
    if seq is not None:
        assert report.problems[0].seq == seq


def test_a_forged_node_in_a_later_chunk_is_caught(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "CHUNK_LEVEL", 2)
    monkeypatch.setattr(verify, "CHUNK", 4)
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])

    def forge(conn: Connection) -> None:
        conn.execute(
            text("UPDATE merkle_nodes SET hash = :h WHERE level = 1 AND idx = 5"),
            {"h": b"\x01" * 32},
        )

    _behind_the_back(installation, forge)
    report = verify_ledger(installation, check_projections=False)
    assert [(p.seq, p.reason) for p in report.problems[:1]] == [
        (10, "stored Merkle node (level 1, index 5) is wrong or missing")
    ]


def test_a_dropped_trigger_is_reported(installation: Installation) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    _behind_the_back(installation, lambda conn: None, restore_guards=False)
    report = verify_ledger(installation)
    assert not report.ok
    assert "log_entries_no_update is missing" in str(report.problems[0])


def test_a_byte_flipped_in_the_sqlite_file_is_caught(tmp_path: Path) -> None:
    env = {
        "AUDITKIT_HOME": str(tmp_path / "home"),
        "AUDITKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'flip.db'}",
        "AUDITKIT_KEY_PASSPHRASE": "a test passphrase",
        "AUDITKIT_SEALING": "off",  # the byte flipped is in the log's clear text
    }
    initialise(load_settings(env))
    installation = Installation.open(load_settings(env))
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    with installation.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    installation.engine.dispose()
    path = tmp_path / "flip.db"
    raw = path.read_bytes()
    needle = b"Order ID: 3348917502"
    assert needle in raw
    path.write_bytes(raw.replace(needle, b"Order ID: 3348917503"))
    report = verify_ledger(installation)
    assert not report.ok
    assert "leaf hash" in report.problems[0].reason


def _chunks_of_eight(installation: Installation, monkeypatch: pytest.MonkeyPatch) -> int:
    """Verify in chunks of 8 leaves over the sample, whose size is not a multiple of 8: the
    last chunk is partial. Returns the number of records."""
    monkeypatch.setattr(verify, "CHUNK_LEVEL", 3)
    monkeypatch.setattr(verify, "CHUNK", 8)
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    with installation.engine.connect() as conn:
        records = int(conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one())
    assert records % 8 >= 2, records  # a partial last chunk with a level-1 node of its own
    assert verify_ledger(installation, check_projections=False).ok
    return records


@pytest.mark.parametrize("column", ["entry", "leaf_hash"])
@pytest.mark.parametrize(
    "where", ["last of a chunk", "first of a chunk", "first of the partial chunk", "last record"]
)
def test_a_forged_leaf_at_a_chunk_boundary_is_caught_at_its_seq(
    installation: Installation, monkeypatch: pytest.MonkeyPatch, column: str, where: str
) -> None:
    """A changed entry or stored leaf hash is found where the bulk leaf hashing of a chunk
    starts or ends, and in the partial last chunk."""
    records = _chunks_of_eight(installation, monkeypatch)
    seq = {
        "last of a chunk": 7,
        "first of a chunk": 8,
        "first of the partial chunk": records - records % 8,
        "last record": records - 1,
    }[where]

    def forge(conn: Connection) -> None:
        value = bytes(
            conn.execute(
                text(f"SELECT {column} FROM log_entries WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )
        forged = value[:-1] + bytes([value[-1] ^ 1])
        conn.execute(
            text(f"UPDATE log_entries SET {column} = :v WHERE seq = :s"), {"v": forged, "s": seq}
        )

    _behind_the_back(installation, forge)
    report = verify_ledger(installation, check_projections=False)
    assert [(p.seq, p.reason) for p in report.problems[:1]] == [
        (seq, "stored bytes do not match leaf hash")
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("UPDATE merkle_nodes SET hash = :h WHERE level = 1 AND idx = :i", "wrong or missing"),
        ("UPDATE merkle_nodes SET hash = substr(hash, 1, 31) WHERE level = 1 AND idx = :i", ""),
        ("DELETE FROM merkle_nodes WHERE level = 1 AND idx = :i", "wrong or missing"),
    ],
    ids=["changed", "cut to 31 bytes", "deleted"],
)
def test_a_bad_node_of_the_partial_last_chunk_is_caught(
    installation: Installation, monkeypatch: pytest.MonkeyPatch, change: str, problem: str
) -> None:
    records = _chunks_of_eight(installation, monkeypatch)
    index = (records - records % 8) // 2  # the partial chunk's level-1 node
    _behind_the_back(
        installation, lambda conn: conn.execute(text(change), {"h": b"\x01" * 32, "i": index})
    )
    report = verify_ledger(installation, check_projections=False)
    assert [(p.seq, p.reason) for p in report.problems[:1]] == [
        (index * 2, f"stored Merkle node (level 1, index {index}) is wrong or missing")
    ]


def test_a_node_no_record_produced_is_caught(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _chunks_of_eight(installation, monkeypatch)

    def extra(conn: Connection) -> None:
        conn.execute(
            text("INSERT INTO merkle_nodes (level, idx, hash) VALUES (1, :i, :h)"),
            {"i": records, "h": b"\x02" * 32},  # level-1 index past the end of the tree
        )

    _behind_the_back(installation, extra)
    report = verify_ledger(installation, check_projections=False)
    assert [(p.seq, p.reason) for p in report.problems] == [
        (None, "merkle_nodes holds nodes that no record produced")
    ]
