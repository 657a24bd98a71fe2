"""Property: any malformed line makes the whole import fail and leaves the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from auditkit.errors import ImportRejected
from auditkit.ledger.installation import Installation
from auditkit.sources.ingest import import_files
from tests.factories import make_conversation

GOOD = [json.dumps(make_conversation(f"good-{i}")) for i in range(3)]

malformed_lines = st.one_of(
    st.text(max_size=200).filter(lambda s: s.strip() and "\n" not in s and "\r" not in s),
    st.builds(
        lambda field, value: json.dumps({**make_conversation("bad"), field: value}),
        st.sampled_from(["conversation_id", "channel", "customer", "participants", "events"]),
        st.one_of(
            st.integers(),
            st.none(),
            st.lists(st.integers(), min_size=1, max_size=2),
            st.text(min_size=0, max_size=3).map(lambda s: "\x00" + s),
        ),
    ),
    st.just(json.dumps({**make_conversation("big"), "channel": "x" * 200_000})),
    st.just(GOOD[0]),  # a duplicate conversation_id within the same file
)


def _state(installation: Installation) -> tuple[int, int, int]:
    with installation.engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("log_entries", "checkpoints", "conversations")
        )  # type: ignore[return-value]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=malformed_lines, position=st.integers(min_value=0, max_value=3))
def test_a_bad_line_anywhere_rejects_the_import_whole(
    installation: Installation, tmp_path: Path, bad: str, position: int
) -> None:
    lines = list(GOOD)
    lines.insert(position, bad)
    path = tmp_path / "input.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _state(installation)
    try:
        import_files(installation, [path])
    except ImportRejected as exc:
        assert 1 <= exc.line <= len(lines)
        assert exc.source == str(path)
        assert _state(installation) == before
    else:  # pragma: no cover - every generated line is invalid
        raise AssertionError(f"accepted a malformed line: {bad[:80]!r}")
