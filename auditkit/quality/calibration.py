"""Calibration sessions: several reviewers score the same conversations blind, then compare.

A session names a rubric, conversations and participants. Each participant scores every
conversation; peers' answers stay hidden from a participant until they have submitted all
of theirs (or the session is closed). The facilitator may record a baseline answer. Every
step is a ``calibration`` record; calibration answers never enter the ``reviews`` table, so
they never count toward IQS. Agreement is Krippendorff's alpha (ordinal per criterion on
graded scales, nominal on pass/fail; interval on the 0-100 scores overall) and percent
agreement, as specified in docs/quality.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from auditkit.accounts import store as accounts_store
from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.periods import utc_now
from auditkit.quality import store as quality_store
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review import transcript as transcripts
from auditkit.rubric import NOT_APPLICABLE, Rubric, format_score, rating_problems, score_review
from auditkit.rubric.agreement import Measurement, krippendorff_alpha, percent_agreement

MAX_TITLE = 200
MAX_CONVERSATIONS = 50


@dataclass(frozen=True)
class SessionSummary:
    """A session as listed."""

    id: int
    title: str
    rubric_title: str
    facilitator: str
    status: str
    created_at: str
    conversations: int
    participants: tuple[str, ...]


@dataclass(frozen=True)
class CriterionAgreement:
    """Agreement on one criterion over the session's conversations."""

    criterion_id: str
    label: str
    measurement: str
    alpha: float | None
    percent: float | None


@dataclass(frozen=True)
class Disagreement:
    """One conversation × criterion: each participant's rating side by side, and the baseline."""

    conversation_key: str
    criterion_id: str
    label: str
    ratings: tuple[str | None, ...]  # in participant order; None = not submitted
    baseline: str | None
    agreed: bool


@dataclass(frozen=True)
class Deviation:
    """How far one participant's answers lie from the baseline."""

    scorer: str
    compared: int
    matched: int
    mean_distance: str | None  # mean |score - baseline score| on the 0-100 scale


@dataclass(frozen=True)
class Results:
    """A session's agreement figures, side-by-side ratings and deviations from the baseline."""

    overall_alpha: float | None
    overall_percent: float | None
    criteria: tuple[CriterionAgreement, ...]
    rows: tuple[Disagreement, ...]
    deviations: tuple[Deviation, ...]


@dataclass(frozen=True)
class SessionView:
    """One session for one user: progress, and the results once the user may see them."""

    summary: SessionSummary
    rubric_hash: str
    conversations: tuple[str, ...]
    participants: tuple[str, ...]
    submitted: Mapping[str, frozenset[str]]  # scorer -> conversations submitted
    baseline: frozenset[str]  # conversations with a baseline
    is_participant: bool
    is_facilitator: bool
    results: Results | None  # None while still blind for this user


@dataclass(frozen=True)
class ScoringForm:
    """What a participant (or the facilitator, for the baseline) scores."""

    session: SessionSummary
    conversation: transcripts.ConversationPage
    rubric: Rubric
    baseline: bool
    submitted: Mapping[str, str] | None  # this user's answer, if already submitted


def open_session(
    installation: Installation,
    user: User,
    *,
    title: str,
    rubric_hash: str,
    conversation_keys: Sequence[str],
    participant_ids: Sequence[int],
) -> int:
    """Open a session and append its ``calibration`` record; every problem reported at once."""
    user.require(Permission.CALIBRATION_MANAGE)
    title = " ".join(title.split())
    keys = list(dict.fromkeys(k.strip() for k in conversation_keys if k.strip()))
    problems = []
    if not title:
        problems.append("title: required")
    if len(title) > MAX_TITLE:
        problems.append(f"title: at most {MAX_TITLE} characters")
    if not keys:
        problems.append("conversations: name at least one")
    if len(keys) > MAX_CONVERSATIONS:
        problems.append(f"conversations: at most {MAX_CONVERSATIONS}")
    rubrics = {r.content_hash: r for r in review_rubrics.available_rubrics(installation)}
    rubric = rubrics.get(rubric_hash)
    if rubric is None:
        problems.append("rubric: choose one of the available rubrics")
    with appending(installation) as batch:
        conn = batch.conn
        people = accounts_store.users_by_ids(conn, list(dict.fromkeys(participant_ids)))
        scorers = [
            p for p in people.values() if p["active"] and p["role"] in {"admin", "qa_reviewer"}
        ]
        if len(scorers) < 2:
            problems.append("participants: choose at least two active reviewers")
        unknown = [k for k in keys if not review_store.conversation_exists(conn, k)]
        if unknown:
            problems.append(f"conversations: unknown {', '.join(unknown)}")
        if problems:
            raise InputRefused(problems)
        assert rubric is not None
        review_rubrics.remember(conn, rubric)
        now = format_time(utc_now())
        session_id = quality_store.insert_session(
            conn,
            {
                "title": title,
                "rubric_hash": rubric.content_hash,
                "facilitator_id": user.id,
                "status": "open",
                "created_at": now,
                "closed_at": None,
                "record_seq": -1,
            },
            keys,
            [int(p["id"]) for p in scorers],
        )
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.CALIBRATION,
                    conversation=None,
                    occurred_at=utc_now(),
                    body={
                        "action": "session.opened",
                        "session": session_id,
                        "title": title,
                        "facilitator": user.username,
                        "rubric": {
                            "id": rubric.id,
                            "version": rubric.version,
                            "content_hash": rubric.content_hash,
                        },
                        "conversations": keys,
                        "participants": sorted(p["username"] for p in scorers),
                    },
                )
            ]
        )
        quality_store.set_session_seq(conn, session_id, record.seq)
    return session_id


def _summary(conn: Any, row: Mapping[str, Any]) -> SessionSummary:
    rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
    return SessionSummary(
        id=int(row["id"]),
        title=row["title"],
        rubric_title=rubric.title,
        facilitator=row["facilitator"],
        status=row["status"],
        created_at=row["created_at"],
        conversations=len(quality_store.session_conversations(conn, int(row["id"]))),
        participants=tuple(
            p["username"] for p in quality_store.session_participants(conn, int(row["id"]))
        ),
    )


def session_list(installation: Installation, user: User) -> list[SessionSummary]:
    """Every session, newest first."""
    user.require(Permission.CALIBRATION_READ)
    with read_transaction(installation.engine) as conn:
        return [_summary(conn, row) for row in quality_store.sessions(conn)]


def _session_row(conn: Any, session_id: int) -> dict[str, Any]:
    row = quality_store.session(conn, session_id)
    if row is None:
        raise NotFound(f"no calibration session {session_id}")
    return row


def session_view(installation: Installation, user: User, session_id: int) -> SessionView:
    """A session's progress; its results only when the user is no longer blind."""
    user.require(Permission.CALIBRATION_READ)
    with read_transaction(installation.engine) as conn:
        row = _session_row(conn, session_id)
        summary = _summary(conn, row)
        keys = tuple(quality_store.session_conversations(conn, session_id))
        scores = quality_store.calibration_score_rows(conn, session_id)
        ratings = quality_store.calibration_rating_rows(conn, [session_id])
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
    submitted: dict[str, set[str]] = {name: set() for name in summary.participants}
    baseline: set[str] = set()
    for score in scores:
        if score["baseline"]:
            baseline.add(score["conversation_key"])
        else:
            submitted.setdefault(score["scorer"], set()).add(score["conversation_key"])
    is_participant = user.username in summary.participants
    is_facilitator = user.id == row["facilitator_id"]
    done = is_participant and submitted.get(user.username, set()) >= set(keys)
    may_see = (
        summary.status == "closed"
        or done
        or (not is_participant and user.can(Permission.CALIBRATION_MANAGE))
    )
    return SessionView(
        summary=summary,
        rubric_hash=row["rubric_hash"],
        conversations=keys,
        participants=summary.participants,
        submitted={k: frozenset(v) for k, v in submitted.items()},
        baseline=frozenset(baseline),
        is_participant=is_participant,
        is_facilitator=is_facilitator,
        results=results_of(rubric, keys, summary.participants, ratings) if may_see else None,
    )


def results_of(
    rubric: Rubric,
    keys: Sequence[str],
    participants: Sequence[str],
    ratings: Sequence[Mapping[str, Any]],
) -> Results:
    """Agreement, side-by-side ratings and baseline deviations from a session's ratings."""
    given: dict[tuple[str, str, str], str] = {}  # (scorer, conversation, criterion) -> rating
    base: dict[tuple[str, str], str] = {}
    for r in ratings:
        if r["baseline"]:
            base[(r["conversation_key"], r["criterion_id"])] = r["rating"]
        else:
            given[(r["scorer"], r["conversation_key"], r["criterion_id"])] = r["rating"]

    def value(scorer: str, key: str, criterion: str) -> str | None:
        found = given.get((scorer, key, criterion))
        return None if found in (None, NOT_APPLICABLE) else found

    criteria = []
    rows = []
    overall_units: list[list[Any]] = []
    for _section, criterion in rubric.criteria():
        levels = criterion.scale.levels
        units = [[value(s, k, criterion.id) for s in participants] for k in keys]
        nominal = len(levels) == 2
        measurement = Measurement.NOMINAL if nominal else Measurement.ORDINAL
        criteria.append(
            CriterionAgreement(
                criterion_id=criterion.id,
                label=criterion.label,
                measurement=str(measurement),
                alpha=krippendorff_alpha(units, measurement, order=levels),
                percent=percent_agreement(units),
            )
        )
        for key, unit in zip(keys, units, strict=True):
            overall_units.append(
                [None if v is None else criterion.scale.normalise(v) for v in unit]
            )
            present = {v for v in unit if v is not None}
            rows.append(
                Disagreement(
                    conversation_key=key,
                    criterion_id=criterion.id,
                    label=criterion.label,
                    ratings=tuple(given.get((s, key, criterion.id)) for s in participants),
                    baseline=base.get((key, criterion.id)),
                    agreed=len(present) <= 1,
                )
            )
    deviations = []
    for scorer in participants:
        distances: list[Fraction] = []
        matched = 0
        for (key, criterion_id), wanted in base.items():
            got = given.get((scorer, key, criterion_id))
            if got is None:
                continue
            matched += got == wanted
            if NOT_APPLICABLE not in (got, wanted):
                scale = rubric.criterion(criterion_id).scale
                distances.append(abs(scale.normalise(got) - scale.normalise(wanted)))
        mean_distance = sum(distances, Fraction(0)) / len(distances) if distances else None
        compared = sum(1 for (k, c) in base if (scorer, k, c) in given)
        deviations.append(
            Deviation(
                scorer=scorer,
                compared=compared,
                matched=matched,
                mean_distance=format_score(mean_distance),
            )
        )
    return Results(
        overall_alpha=krippendorff_alpha(overall_units, Measurement.INTERVAL),
        overall_percent=percent_agreement(overall_units),
        criteria=tuple(criteria),
        rows=tuple(rows),
        deviations=tuple(deviations) if base else (),
    )


def scoring_form(
    installation: Installation, user: User, session_id: int, key: str, *, baseline: bool
) -> ScoringForm:
    """The conversation (redacted) and the rubric's form, for a participant or the baseline."""
    with read_transaction(installation.engine) as conn:
        row = _session_row(conn, session_id)
        _may_score(conn, user, row, key, baseline=baseline)
        summary = _summary(conn, row)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        mine = _answer(conn, session_id, key, user.username, baseline=baseline)
    page = transcripts.conversation_page(installation, user, key)
    return ScoringForm(
        session=summary, conversation=page, rubric=rubric, baseline=baseline, submitted=mine
    )


def _may_score(conn: Any, user: User, row: Mapping[str, Any], key: str, *, baseline: bool) -> None:
    if baseline:
        user.require(Permission.CALIBRATION_MANAGE)
        if user.id != row["facilitator_id"]:
            raise AccessDenied("only the session's facilitator records its baseline")
    else:
        user.require(Permission.CALIBRATION_WORK)
        people = quality_store.session_participants(conn, int(row["id"]))
        if user.id not in {p["id"] for p in people}:
            raise AccessDenied("you are not a participant of this calibration session")
    if key not in quality_store.session_conversations(conn, int(row["id"])):
        raise NotFound(f"conversation {key} is not part of this session")


def _answer(
    conn: Any, session_id: int, key: str, scorer: str, *, baseline: bool
) -> dict[str, str] | None:
    seqs = {
        s["seq"]
        for s in quality_store.calibration_score_rows(conn, session_id)
        if s["conversation_key"] == key and s["scorer"] == scorer and s["baseline"] == baseline
    }
    if not seqs:
        return None
    return {
        r["criterion_id"]: r["rating"]
        for r in quality_store.calibration_rating_rows(conn, [session_id])
        if r["seq"] in seqs
    }


def submit_answer(
    installation: Installation,
    user: User,
    session_id: int,
    key: str,
    ratings: Mapping[str, str],
    *,
    baseline: bool,
) -> int:
    """Append one ``calibration`` scoring record (a participant's answer, or the baseline)."""
    with appending(installation) as batch:
        conn = batch.conn
        row = _session_row(conn, session_id)
        _may_score(conn, user, row, key, baseline=baseline)
        if row["status"] != "open":
            raise Conflict("this calibration session is closed")
        if _answer(conn, session_id, key, user.username, baseline=baseline) is not None:
            raise Conflict("you already submitted this conversation in this session")
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        problems = [str(p) for p in rating_problems(rubric, ratings, complete=True)]
        if problems:
            raise InputRefused(problems)
        result = score_review(rubric, ratings)
        body: dict[str, Any] = {
            "action": "baseline" if baseline else "scored",
            "session": session_id,
            "scorer": user.username,
            "rubric_hash": rubric.content_hash,
            "ratings": [
                {"criterion": r.criterion, "rating": r.rating, "score": format_score(r.score)}
                for r in result.criteria
            ],
            "score": format_score(result.score),
        }
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.CALIBRATION,
                    conversation=key,
                    occurred_at=utc_now(),
                    body=body,
                )
            ]
        )
        quality_store.insert_calibration_score(
            conn,
            {
                "seq": record.seq,
                "session_id": session_id,
                "conversation_key": key,
                "scorer": user.username,
                "baseline": baseline,
                "score": None if body["score"] is None else float(body["score"]),
                "submitted_at": record.recorded_at,
            },
            [
                {
                    "seq": record.seq,
                    "criterion_id": r["criterion"],
                    "rating": r["rating"],
                    "score": None if r["score"] is None else float(r["score"]),
                }
                for r in body["ratings"]
            ],
        )
    return record.seq


def close_session(installation: Installation, user: User, session_id: int) -> int:
    """Close a session (everyone may then see its results) and append the record."""
    user.require(Permission.CALIBRATION_MANAGE)
    with appending(installation) as batch:
        row = _session_row(batch.conn, session_id)
        if row["status"] != "open":
            raise Conflict("this calibration session is already closed")
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.CALIBRATION,
                    conversation=None,
                    occurred_at=utc_now(),
                    body={
                        "action": "session.closed",
                        "session": session_id,
                        "actor": user.username,
                    },
                )
            ]
        )
        quality_store.close_session(batch.conn, session_id, at=record.recorded_at)
    return record.seq


@dataclass(frozen=True)
class Alignment:
    """A reviewer's agreement with calibration baselines, over every session."""

    scorer: str
    compared: int
    matched: int
    mean_distance: str | None


def reviewer_alignment(installation: Installation) -> dict[str, Alignment]:
    """Per reviewer: how often their calibration answers matched the facilitators' baselines."""
    with read_transaction(installation.engine) as conn:
        ratings = quality_store.calibration_rating_rows(conn)
    base = {
        (r["session_id"], r["conversation_key"], r["criterion_id"]): r
        for r in ratings
        if r["baseline"]
    }
    tallies: dict[str, list[Any]] = {}
    for r in ratings:
        wanted = base.get((r["session_id"], r["conversation_key"], r["criterion_id"]))
        if r["baseline"] or wanted is None:
            continue
        tally = tallies.setdefault(r["scorer"], [0, 0, []])
        tally[0] += 1
        tally[1] += r["rating"] == wanted["rating"]
        if r["score"] is not None and wanted["score"] is not None:
            tally[2].append(abs(r["score"] - wanted["score"]))
    return {
        scorer: Alignment(
            scorer=scorer,
            compared=compared,
            matched=matched,
            mean_distance=f"{sum(d) / len(d):.2f}" if d else None,
        )
        for scorer, (compared, matched, d) in sorted(tallies.items())
    }
