"""Where rubrics come from: those shipped in ``auditkit.rubrics`` plus ``$AUDITKIT_HOME/rubrics``.

Every assignment stores a snapshot of its rubric by content hash, so a review is always
scored and shown against exactly the rubric it was assigned with, whatever the files say
later.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from pathlib import Path

from auditkit.checks.service import select_policies
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import format_time
from auditkit.periods import utc_now
from auditkit.review import store as review_store
from auditkit.rubric import (
    Rubric,
    RubricInvalid,
    RubricProblem,
    load_rubric_file,
    rubric_from_snapshot,
)

DEFAULT_RUBRIC_ID = "messaging-quality"
RUBRIC_SUFFIXES = (".yaml", ".yml")


def rubric_files(installation: Installation) -> list[Path]:
    """The rubric files in use: shipped ones first, then the installation's own."""
    shipped = resources.files("auditkit.rubrics")
    files = sorted(
        Path(str(item)) for item in shipped.iterdir() if item.name.endswith(RUBRIC_SUFFIXES)
    )
    own = installation.settings.home / "rubrics"
    if own.is_dir():
        files.extend(sorted(p for p in own.iterdir() if p.suffix in RUBRIC_SUFFIXES))
    return files


def check_rubric_files(
    paths: list[Path], *, policy_ids: Collection[str] | None = None
) -> list[Rubric]:
    """Load and validate rubric files, reporting the problems of every file together.

    With ``policy_ids`` (the loaded policies), a criterion naming any other policy is refused.
    """
    problems: list[RubricProblem] = []
    rubrics: list[Rubric] = []
    for path in paths:
        try:
            rubrics.append(load_rubric_file(path))
        except RubricInvalid as exc:
            problems.extend(exc.problems)
    seen: dict[tuple[str, int], Rubric] = {}
    for rubric in rubrics:
        key = (rubric.id, rubric.version)
        if key in seen and seen[key].content_hash != rubric.content_hash:
            problems.append(
                RubricProblem(
                    rubric.id,
                    "version",
                    f"two different rubrics claim {rubric.id} version {rubric.version}: "
                    "raise the version of the changed one",
                )
            )
        seen[key] = rubric
        for _section, criterion in rubric.criteria():
            if policy_ids is not None and criterion.policy and criterion.policy not in policy_ids:
                problems.append(
                    RubricProblem(
                        rubric.id,
                        f"criteria.{criterion.id}.policy",
                        f"no policy {criterion.policy!r} is loaded "
                        f"(known: {', '.join(sorted(policy_ids))})",
                    )
                )
    if problems:
        raise RubricInvalid(problems)
    return rubrics


def available_rubrics(installation: Installation) -> list[Rubric]:
    """Every valid rubric available to new assignments (a bad file is refused with all problems)."""
    return check_rubric_files(rubric_files(installation), policy_ids=policy_ids(installation))


def policy_ids(installation: Installation) -> set[str]:
    """The ids of the policies loaded for this installation (a rubric gate may name them)."""
    return {policy.id for policy in select_policies(installation)}


def find_rubric(installation: Installation, content_hash: str) -> Rubric:
    """A rubric by content hash: a stored snapshot, else one of the available files."""
    with read_transaction(installation.engine) as conn:
        snapshot = review_store.rubric_snapshot(conn, content_hash)
    if snapshot is not None:
        return rubric_from_snapshot(snapshot["document"], source=content_hash[:12])
    for rubric in available_rubrics(installation):
        if rubric.content_hash == content_hash:
            return rubric
    raise NotFound(f"no rubric with content hash {content_hash}")


def stored_rubric(conn: Connection, content_hash: str) -> Rubric:
    """The snapshot a review was assigned with (inside a caller's transaction)."""
    snapshot = review_store.rubric_snapshot(conn, content_hash)
    if snapshot is None:
        raise NotFound(f"no stored rubric with content hash {content_hash}")
    return rubric_from_snapshot(snapshot["document"], source=content_hash[:12])


def remember(conn: Connection, rubric: Rubric) -> None:
    """Store the rubric's snapshot (canonical JSON) by hash, if not stored yet."""
    review_store.remember_rubric(
        conn,
        {
            "content_hash": rubric.content_hash,
            "rubric_id": rubric.id,
            "version": rubric.version,
            "title": rubric.title,
            "document": rubric.canonical_bytes().decode("utf-8"),
            "first_used_at": format_time(utc_now()),
        },
    )
