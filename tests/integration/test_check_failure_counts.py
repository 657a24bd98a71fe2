"""The failure counts the conversation list reads (``check_failure_counts``) follow the latest
results: written with them, rewritten when a re-run changes an outcome, backfilled by the
migration, and the list's filter and sort by them refuse bad values as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.accounts import users
from auditkit.accounts.users import User
from auditkit.checks.service import run_checks
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.review import search
from auditkit.sources.ingest import import_files
from tests.factories import (
    DATA,
    add_unvalidated_refund,
    make_conversation,
    remigrate,
    write_jsonl,
)

DEMO = DATA / "demo" / "conversations.jsonl"


def _counts(installation: Installation) -> dict[str, int]:
    with installation.engine.connect() as conn:
        rows = conn.execute(text("SELECT conversation_key, failed FROM check_failure_counts"))
        return {k: int(n) for k, n in rows}


def _from_results(installation: Installation) -> dict[str, int]:
    with installation.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conversation_key, count(*) FROM check_results WHERE outcome = 'fail' "
                "GROUP BY conversation_key"
            )
        )
        return {k: int(n) for k, n in rows}


def test_counts_are_written_with_the_results(installation: Installation) -> None:
    import_files(installation, [DEMO])
    assert _counts(installation) == {}
    run_checks(installation)
    counts = _counts(installation)
    assert counts == _from_results(installation)
    assert counts["nb-2024-10502"] >= 1  # a refund with no identity validation
    assert all(n > 0 for n in counts.values())  # no row for a conversation failing nothing


def test_a_rerun_that_changes_an_outcome_rewrites_the_count(
    installation: Installation, tmp_path: Path
) -> None:
    conversation = make_conversation("c-1")
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [conversation])])
    run_checks(installation)
    before = _counts(installation).get("c-1", 0)
    add_unvalidated_refund(conversation)
    import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [conversation])])
    run_checks(installation)
    after = _counts(installation)
    assert after == _from_results(installation)
    assert after["c-1"] > before  # the refund without validation now fails identity-validation


def test_the_migration_backfills_the_counts(installation: Installation) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)
    expected = _counts(installation)
    assert expected
    remigrate(installation.engine, back_to="0024", then_to="0025")
    assert _counts(installation) == expected


def test_the_list_filters_and_sorts_by_the_counts_and_refuses_bad_values(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)
    counts = _from_results(installation)
    admin = _admin(installation)
    found = search.all_conversations(
        installation, admin, search.conversation_search(installation, {"failed_policy": "any"})
    )
    assert {r.key for r in found} == set(counts)
    ranked = search.all_conversations(
        installation, admin, search.conversation_search(installation, {"sort": "failed"})
    )
    assert [r.failed_policies for r in ranked] == sorted(
        (counts.get(r.key, 0) for r in ranked), reverse=True
    )
    with pytest.raises(InputRefused, match="failed_policy: no policy 'no-such-policy'"):
        search.conversation_search(installation, {"failed_policy": "no-such-policy"})


def _admin(installation: Installation) -> User:
    users.add_user(
        installation, username="ada", display_name="Ada", role="admin", password="pw-123456789ab"
    )
    return users.authenticate(
        installation, username="ada", password="pw-123456789ab", remote_addr="test"
    )


def test_counts_follow_a_rerun_after_an_erasure(installation: Installation) -> None:
    from auditkit.privacy.erasure import erase_subject

    import_files(installation, [DEMO])
    run_checks(installation)
    erase_subject(installation, "cust-maria-gonzalez", reason="customer asked")
    run_checks(installation)  # erased text may change what the checks find
    assert _counts(installation) == _from_results(installation)
    admin = _admin(installation)
    listed = search.all_conversations(
        installation, admin, search.conversation_search(installation, {"failed_policy": "any"})
    )
    assert {r.key: r.failed_policies for r in listed} == _from_results(installation)
