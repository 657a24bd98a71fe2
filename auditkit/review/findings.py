"""Policy results where people work: a conversation's results, the rubric gates beside them,
and the findings list with its downloads (one row format, so the CLI and the web agree)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from auditkit.accounts.users import Permission, User
from auditkit.checks.results import Outcome, Severity
from auditkit.checks.service import select_policies
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_excerpts
from auditkit.ledger.records import TEXT_KINDS, format_time, parse_time
from auditkit.paging import bounded, page_count
from auditkit.periods import day_bounds
from auditkit.pii.masking import Redactor, scan_redactor
from auditkit.review import search_store
from auditkit.review import store as review_store
from auditkit.review.queue import refresh_facts
from auditkit.review.search_store import Scope
from auditkit.rubric import Rubric

PER_PAGE = 50
STREAM_ROWS = 100  # CSV rows per streamed piece
MAX_PER_PAGE = 500
LOAD_CHUNK = 200  # conversations read at a time for their results' evidence
EVIDENCE_FIELDS = frozenset({"text"})  # the one sealed field an excerpt shows
SEVERITY_ORDER = {s.value: i for i, s in enumerate(reversed(list(Severity)))}
OUTCOME_ORDER = {"fail": 0, "pass": 1, "not_applicable": 2}
OUTCOMES = ("fail", "pass", "not_applicable", "all")
FIELDS = (
    "conversation",
    "channel",
    "agent",
    "policy",
    "policy_version",
    "outcome",
    "severity",
    "explanation",
    "evidence",
    "record_seq",
    "evaluated_at",
)


@dataclass(frozen=True)
class Evidence:
    """One event a result rests on: its seq, message number (messages only) and redacted text."""

    seq: int
    kind: str
    text: str
    number: int | None = None


@dataclass(frozen=True)
class PolicyResult:
    """The latest result of one policy on one conversation, its evidence redacted."""

    conversation_key: str
    channel: str
    agent: str | None
    policy_id: str
    policy_version: str
    outcome: str
    severity: str
    explanation: str
    evidence: tuple[Evidence, ...]
    record_seq: int
    evaluated_at: str

    @property
    def failed(self) -> bool:
        """Whether the policy failed."""
        return self.outcome == Outcome.FAIL


@dataclass(frozen=True)
class FindingsQuery:
    """The findings filters, checked: every named value exists (see :func:`findings_query`)."""

    policy: str | None = None
    severity: str | None = None
    agent: str | None = None
    intent: str | None = None
    channel: str | None = None
    since: str | None = None  # a ledger time: conversations active at or after
    until: str | None = None  # a ledger time: conversations started before
    outcome: str = "fail"
    shown: Mapping[str, str] | None = None  # the values as given, for forms and links

    @property
    def scope(self) -> Scope:
        """The shared filters as the store takes them."""
        return Scope(
            agent=self.agent,
            intent=self.intent,
            channel=self.channel,
            since=self.since,
            until=self.until,
        )


@dataclass(frozen=True)
class FindingsPage:
    """One page of results, with the total count."""

    query: FindingsQuery
    results: tuple[PolicyResult, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the results fill (at least one)."""
        return page_count(self.total, self.per_page)


@dataclass(frozen=True)
class GateCheck:
    """A rubric criterion linked to a policy: the policy's result beside the reviewer's rating."""

    criterion_id: str
    criterion_label: str
    policy_id: str
    result: PolicyResult | None  # None: the policy has no result on this conversation
    rating: str | None
    disagrees: bool

    def record(self) -> dict[str, object]:
        """What the review record keeps of it."""
        return {
            "criterion": self.criterion_id,
            "policy_id": self.policy_id,
            "policy_version": self.result.policy_version if self.result else None,
            "outcome": self.result.outcome if self.result else None,
            "result_seq": self.result.record_seq if self.result else None,
            "rating": self.rating,
            "disagrees": self.disagrees,
        }


def disagrees(rating: str | None, outcome: str | None) -> bool:
    """A reviewer's gate rating contradicts the policy: it failed and the reviewer did not
    say fail, or it passed and the reviewer said fail. N/A results and no rating never do."""
    if rating is None or outcome is None:
        return False
    if outcome == Outcome.FAIL:
        return rating != "fail"
    if outcome == Outcome.PASS:
        return rating == "fail"
    return False


def gate_checks(
    rubric: Rubric, results: Sequence[PolicyResult], ratings: Mapping[str, str]
) -> tuple[GateCheck, ...]:
    """Every criterion of ``rubric`` that names a policy, with that policy's result."""
    by_policy = {r.policy_id: r for r in results}
    checks = []
    for _section, criterion in rubric.criteria():
        if not criterion.policy:
            continue
        result = by_policy.get(criterion.policy)
        rating = ratings.get(criterion.id) or None
        checks.append(
            GateCheck(
                criterion_id=criterion.id,
                criterion_label=criterion.label,
                policy_id=criterion.policy,
                result=result,
                rating=rating,
                disagrees=disagrees(rating, result.outcome if result else None),
            )
        )
    return tuple(checks)


# --- reading results -----------------------------------------------------------------------


def _result(
    row: Mapping[str, object], conversation: LedgerConversation | None, redactor: Redactor
) -> PolicyResult:
    evidence: list[Evidence] = []
    if conversation is not None:
        numbers = {
            e.seq: n
            for n, e in enumerate((e for e in conversation.events if e.kind in TEXT_KINDS), 1)
        }
        events = {e.seq: e for e in conversation.events}
        people = tuple(conversation.participants.values())
        for seq in json.loads(str(row["evidence"])):
            event = events.get(int(seq))
            if event is None:
                continue
            if "text" in event.body:
                text = redactor.redact(str(event.body["text"]), participants=people).text
            else:
                text = _summary(event.kind, event.body)
            evidence.append(Evidence(event.seq, event.kind, text, numbers.get(event.seq)))
    return PolicyResult(
        conversation_key=str(row["conversation_key"]),
        channel=str(row.get("channel") or (conversation.channel if conversation else "")),
        agent=_str_or_none(row.get("primary_agent")),
        policy_id=str(row["policy_id"]),
        policy_version=str(row["policy_version"]),
        outcome=str(row["outcome"]),
        severity=str(row["severity"]),
        explanation=str(row["explanation"]),
        evidence=tuple(evidence),
        record_seq=int(str(row["record_seq"])),
        evaluated_at=str(row["evaluated_at"]),
    )


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _summary(kind: str, body: Mapping[str, object]) -> str:
    parts = [
        f"{k}={body[k]}"
        for k in ("name", "outcome", "scope", "decision", "status", "code")
        if k in body
    ]
    return ", ".join(parts) if parts else kind


def conversation_results(
    conn: Connection,
    conversation: LedgerConversation,
    redactor: Redactor,
    *,
    agent: str | None = None,
) -> tuple[PolicyResult, ...]:
    """Every stored result on one conversation: failures first, most severe first."""
    rows = search_store.results_of(conn, conversation.key)
    results = [
        _result(
            {**row, "channel": conversation.channel, "primary_agent": agent}, conversation, redactor
        )
        for row in rows
    ]
    results.sort(
        key=lambda r: (
            OUTCOME_ORDER.get(r.outcome, 9),
            SEVERITY_ORDER.get(r.severity, 9),
            r.policy_id,
        )
    )
    return tuple(results)


def _with_evidence(
    conn: Connection, installation: Installation, rows: Sequence[Mapping[str, object]]
) -> Iterator[PolicyResult]:
    """The rows' results with their evidence, a page of conversations at a time: each page's
    messages and notes (for the message numbers and the scan's findings), the other evidence
    records and the participants, opened with one data-key query for the page."""
    master = installation.master_key()
    for part in _conversation_pages(rows, LOAD_CHUNK):
        keys = sorted({str(r["conversation_key"]) for r in part})
        seqs = {int(seq) for r in part for seq in json.loads(str(r["evidence"]))}
        loaded = {
            c.key: c
            for c in load_excerpts(conn, keys, seqs, master=master, open_fields=EVIDENCE_FIELDS)
        }
        redactor = scan_redactor(conn, installation, loaded.values())
        yield from (_result(r, loaded.get(str(r["conversation_key"])), redactor) for r in part)


def _conversation_pages(
    rows: Sequence[Mapping[str, object]], size: int
) -> Iterator[Sequence[Mapping[str, object]]]:
    """The rows in runs holding at most ``size`` conversations each (a conversation's rows
    are contiguous in the list's order, so none is read twice)."""
    start, seen = 0, set[str]()
    for index, row in enumerate(rows):
        key = str(row["conversation_key"])
        if key not in seen and len(seen) == size:
            yield rows[start:index]
            start, seen = index, set()
        seen.add(key)
    if start < len(rows):
        yield rows[start:]


# --- the findings list ---------------------------------------------------------------------


def period_bound(value: str, name: str, problems: list[str], *, end: bool) -> str | None:
    """A date (whole UTC day, inclusive) or an RFC 3339 time, as a ledger time."""
    value = value.strip()
    if not value:
        return None
    try:
        if "T" in value:
            return format_time(parse_time(value))
        day = date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name}: {value!r} is not a date (YYYY-MM-DD) or RFC 3339 time")
        return None
    try:
        start, after = day_bounds(None if end else day, day if end else None, field=name)
    except InputRefused as exc:
        problems.extend(exc.problems)
        return None
    bound = after if end else start
    return format_time(bound) if bound else None


def unknown(name: str, value: str, known: Iterable[str], what: str) -> str:
    """The message refusing a filter value nothing has: names the field and what exists."""
    listed = sorted(known)
    shown = ", ".join(listed[:20]) + (f" and {len(listed) - 20} more" if len(listed) > 20 else "")
    return f"{name}: no {what} {value!r} is known (known: {shown or 'none yet'})"


def check_agent(conn: Connection, value: str | None, problems: list[str]) -> None:
    """Note an agent id that no conversation names."""
    if value and value not in {a["id"] for a in search_store.staff_ids(conn)}:
        known = [a["id"] for a in search_store.staff_ids(conn)]
        problems.append(unknown("agent", value, known, "agent"))


def check_scope(conn: Connection, scope: Scope, problems: list[str]) -> None:
    """Note each shared filter value that names nothing recorded."""
    check_agent(conn, scope.agent, problems)
    if scope.team and scope.team not in (known := search_store.teams(conn)):
        problems.append(unknown("team", scope.team, known, "team"))
    if scope.intent and scope.intent not in (intents := search_store.intents(conn)):
        problems.append(unknown("intent", scope.intent, intents, "intent"))
    if scope.channel and scope.channel not in (channels := review_store.channels(conn)):
        problems.append(unknown("channel", scope.channel, channels, "channel"))
    if scope.segment and scope.segment not in (segments := search_store.segments(conn)):
        problems.append(unknown("segment", scope.segment, segments, "segment"))


def known_policies(conn: Connection, installation: Installation) -> set[str]:
    """Policy ids that are loaded or have stored results."""
    return search_store.known_policy_ids(conn) | {p.id for p in select_policies(installation)}


def check_policy(
    conn: Connection, installation: Installation, field: str, value: str | None, problems: list[str]
) -> None:
    """Note a policy id that is neither loaded nor has stored results."""
    if value and value not in search_store.known_policy_ids(conn):
        known = known_policies(conn, installation)
        if value not in known:
            problems.append(unknown(field, value, known, "policy"))


def findings_query(installation: Installation, values: Mapping[str, str]) -> FindingsQuery:
    """The findings filters from their text values (a form's or the CLI's), every value checked
    against what is recorded: an unknown policy, severity, agent, intent or channel is refused
    with every problem at once, never answered with an empty list."""
    problems: list[str] = []

    def text(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    severity = text("severity")
    if severity and severity not in {s.value for s in Severity}:
        problems.append(
            f"severity: {severity!r} is not one of {', '.join(s.value for s in Severity)}"
        )
    outcome = text("outcome") or "fail"
    if outcome not in OUTCOMES:
        problems.append(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    query = FindingsQuery(
        policy=text("policy"),
        severity=severity,
        agent=text("agent"),
        intent=text("intent"),
        channel=text("channel"),
        since=period_bound(values.get("since", ""), "since", problems, end=False),
        until=period_bound(values.get("until", ""), "until", problems, end=True),
        outcome=outcome,
        shown={k: str(values.get(k) or "").strip() for k in FILTER_NAMES},
    )
    installation.require_schema()
    refresh_facts(installation)  # the agent and intent filters read the facts
    with read_transaction(installation.engine) as conn:
        check_policy(conn, installation, "policy", query.policy, problems)
        check_scope(conn, query.scope, problems)
    if problems:
        raise InputRefused(problems)
    return query


FILTER_NAMES = (
    "policy",
    "severity",
    "agent",
    "intent",
    "channel",
    "since",
    "until",
    "outcome",
    "per_page",  # the page size, kept in page links
)


def _store_outcome(query: FindingsQuery) -> str | None:
    return None if query.outcome == "all" else query.outcome


def findings_page(
    installation: Installation,
    user: User,
    query: FindingsQuery,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> FindingsPage:
    """One page of the results matching ``query``, newest conversations first."""
    user.require(Permission.CONVERSATION_READ)
    page, per_page = bounded(page, per_page, MAX_PER_PAGE)
    filters = {
        "policy": query.policy,
        "severity": query.severity,
        "outcome": _store_outcome(query),
    }
    with read_transaction(installation.engine) as conn:
        total = search_store.count_results(conn, query.scope, **filters)
        rows = search_store.result_rows(
            conn, query.scope, **filters, offset=(page - 1) * per_page, limit=per_page
        )
        results = list(_with_evidence(conn, installation, rows))
    return FindingsPage(
        query=query, results=tuple(results), total=total, page=page, per_page=per_page
    )


def all_findings(
    installation: Installation, query: FindingsQuery, *, limit: int | None = None
) -> list[PolicyResult]:
    """Every result matching ``query`` (``auditkit findings``)."""
    return list(iter_findings(installation, query, limit=limit))


def iter_findings(
    installation: Installation, query: FindingsQuery, *, limit: int | None = None
) -> Iterator[PolicyResult]:
    """Every result matching ``query``, a page of conversations at a time, in one read
    transaction held while iterating (the streamed downloads)."""
    with read_transaction(installation.engine) as conn:
        rows = search_store.result_rows(
            conn,
            query.scope,
            policy=query.policy,
            severity=query.severity,
            outcome=_store_outcome(query),
            offset=0,
            limit=limit,
        )
        yield from _with_evidence(conn, installation, rows)


def finding_row(result: PolicyResult) -> dict[str, object]:
    """One result as a download row (JSON keeps the evidence as a list)."""
    return {
        "conversation": result.conversation_key,
        "channel": result.channel,
        "agent": result.agent or "",
        "policy": result.policy_id,
        "policy_version": result.policy_version,
        "outcome": result.outcome,
        "severity": result.severity,
        "explanation": result.explanation,
        "evidence": [
            {"seq": e.seq, "kind": e.kind, "message": e.number, "text": e.text}
            for e in result.evidence
        ],
        "record_seq": result.record_seq,
        "evaluated_at": result.evaluated_at,
    }


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula (OWASP's CSV injection rule)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def findings_csv(results: Iterable[PolicyResult]) -> str:
    """The results as CSV (evidence as ``seq kind: text`` lines in one cell)."""
    return "".join(findings_csv_chunks(results))


def findings_csv_chunks(results: Iterable[PolicyResult]) -> Iterator[str]:
    """:func:`findings_csv` a piece at a time: the header, then a few rows per piece."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for count, result in enumerate(results, 1):
        row = finding_row(result)
        row["evidence"] = "\n".join(f"seq {e.seq} {e.kind}: {e.text}" for e in result.evidence)
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        if count % STREAM_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def findings_json(results: Iterable[PolicyResult]) -> str:
    """The results as a JSON array."""
    return "".join(findings_json_chunks(results))


def findings_json_chunks(results: Iterable[PolicyResult]) -> Iterator[str]:
    """:func:`findings_json` a result at a time: the same text as ``json.dumps`` of the whole
    list with ``indent=1`` (each item indented one level)."""
    first = True
    for result in results:
        item = json.dumps(finding_row(result), ensure_ascii=False, indent=1)
        yield ("[\n " if first else ",\n ") + item.replace("\n", "\n ")
        first = False
    yield "[]\n" if first else "\n]\n"


@dataclass(frozen=True)
class FindingsChoices:
    """What the findings form offers in its choice lists."""

    policies: tuple[str, ...]
    severities: tuple[str, ...]
    agents: tuple[tuple[str, str], ...]  # (id, display name)
    intents: tuple[str, ...]
    channels: tuple[str, ...]
    outcomes: tuple[str, ...] = OUTCOMES


def findings_choices(installation: Installation) -> FindingsChoices:
    """The values each findings filter can take (what is recorded)."""
    with read_transaction(installation.engine) as conn:
        return FindingsChoices(
            policies=tuple(sorted(known_policies(conn, installation))),
            severities=tuple(s.value for s in Severity),
            agents=tuple((a["id"], a["name"] or a["id"]) for a in search_store.staff_ids(conn)),
            intents=tuple(search_store.intents(conn)),
            channels=tuple(review_store.channels(conn)),
        )
