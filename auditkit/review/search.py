"""Finding any conversation: every filter people ask for, text search over the redacted
text, sort, pages with counts and a CSV of the list. Filters come as text values (a URL's
query), so a filtered list is a link anyone with access can open."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from auditkit.accounts.users import Permission, User
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_excerpts
from auditkit.ledger.records import TEXT_KINDS
from auditkit.paging import bounded, page_count
from auditkit.pii.masking import scan_redactor
from auditkit.review import search_store
from auditkit.review import store as review_store
from auditkit.review.findings import (
    MAX_PER_PAGE,
    PER_PAGE,
    check_policy,
    check_scope,
    known_policies,
    period_bound,
    spreadsheet_safe,
)
from auditkit.review.queue import refresh_facts
from auditkit.review.search_store import SORTS, ConversationConditions, Scope

TEXT_CANDIDATES = 5000  # conversations whose stored text holds the words, checked redacted
CHECK_CHUNK = 200
CSV_PIECE_ROWS = 500  # rows per streamed piece of the CSV
FILTER_NAMES = (
    "q",
    "agent",
    "team",
    "intent",
    "channel",
    "segment",
    "since",
    "until",
    "csat_min",
    "csat_max",
    "reviewed",
    "score_min",
    "score_max",
    "failed_policy",
    "restricted",
    "several_sessions",
    "reopened",
    "transferred",
    "sort",
    "per_page",  # the page size, kept in page links
)
SORT_LABELS = {
    "recent": "Latest activity first",
    "oldest": "Oldest activity first",
    "score": "Lowest review score first",
    "csat": "Lowest CSAT first",
    "failed": "Most failed policies first",
    "key": "Conversation id",
}
CSV_FIELDS = (
    "conversation",
    "channel",
    "segment",
    "agent",
    "intent",
    "events",
    "sessions",
    "csat",
    "score",
    "failed_policies",
    "first_event_at",
    "last_event_at",
)


@dataclass(frozen=True)
class ConversationSearch:
    """A checked search: every filter value names something recorded."""

    scope: Scope = field(default_factory=Scope)
    conditions: ConversationConditions = field(default_factory=ConversationConditions)
    text: str = ""
    sort: str = "recent"
    shown: Mapping[str, str] = field(default_factory=dict)  # the values as given


@dataclass(frozen=True)
class ConversationRow:
    """One conversation in the list."""

    key: str
    channel: str
    segment: str | None
    agent: str | None
    intent: str | None
    events: int
    sessions: int | None
    csat: float | None
    score: float | None
    failed_policies: int
    first_event_at: str | None
    last_event_at: str | None


@dataclass(frozen=True)
class ConversationList:
    """One page of the list, with the total count."""

    search: ConversationSearch
    rows: tuple[ConversationRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the list fills (at least one)."""
        return page_count(self.total, self.per_page)


@dataclass(frozen=True)
class SearchChoices:
    """What the filter form offers in its choice lists."""

    agents: tuple[tuple[str, str], ...]
    teams: tuple[str, ...]
    intents: tuple[str, ...]
    channels: tuple[str, ...]
    segments: tuple[str, ...]
    policies: tuple[str, ...]
    sorts: tuple[tuple[str, str], ...] = tuple(SORT_LABELS.items())


def _number(
    values: Mapping[str, str], name: str, problems: list[str], *, low: float, high: float
) -> float | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        problems.append(f"{name}: {raw!r} is not a number")
        return None
    if not low <= number <= high:
        problems.append(f"{name}: {raw} is not between {low:g} and {high:g}")
        return None
    return number


def _flag(values: Mapping[str, str], name: str, problems: list[str]) -> bool:
    raw = (values.get(name) or "").strip()
    if raw not in ("", "1", "on", "yes"):
        problems.append(f"{name}: {raw!r} is not 1 (leave it out for no condition)")
    return raw in ("1", "on", "yes")


def conversation_search(
    installation: Installation, values: Mapping[str, str]
) -> ConversationSearch:
    """The list's filters from text values, each checked against what is recorded; every
    problem is refused at once (an unknown agent or policy is never "nothing matches")."""
    problems: list[str] = []

    def text(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    reviewed_raw = text("reviewed")
    reviewed = {"yes": True, "no": False, None: None}.get(reviewed_raw)
    if reviewed_raw and reviewed is None:
        problems.append(f"reviewed: {reviewed_raw!r} is not yes or no")
    sort = text("sort") or "recent"
    if sort not in SORTS:
        problems.append(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
        sort = "recent"
    csat_min = _number(values, "csat_min", problems, low=0, high=100)
    csat_max = _number(values, "csat_max", problems, low=0, high=100)
    failed = text("failed_policy")
    restricted = _flag(values, "restricted", problems)
    detector = None
    if restricted:
        from auditkit.pii.scan import configured_detector_key  # loads Presidio lazily

        detector = configured_detector_key(installation)
    query = (text("q") or "")[:200]
    scope = Scope(
        agent=text("agent"),
        team=text("team"),
        intent=text("intent"),
        channel=text("channel"),
        segment=text("segment"),
        since=period_bound(values.get("since", ""), "since", problems, end=False),
        until=period_bound(values.get("until", ""), "until", problems, end=True),
    )
    conditions = ConversationConditions(
        csat_min=None if csat_min is None else csat_min / 100,
        csat_max=None if csat_max is None else csat_max / 100,
        reviewed=reviewed,
        score_min=_number(values, "score_min", problems, low=0, high=100),
        score_max=_number(values, "score_max", problems, low=0, high=100),
        failed_policy="*" if failed == "any" else failed,
        restricted_detector=detector,
        several_sessions=_flag(values, "several_sessions", problems),
        reopened=_flag(values, "reopened", problems),
        transferred=_flag(values, "transferred", problems),
    )
    installation.require_schema()
    refresh_facts(installation)  # agent, intent, CSAT and the flags read the facts
    with read_transaction(installation.engine) as conn:
        check_scope(conn, scope, problems)
        if failed != "any":
            check_policy(conn, installation, "failed_policy", failed, problems)
    if problems:
        raise InputRefused(problems)
    return ConversationSearch(
        scope=scope,
        conditions=conditions,
        text=query,
        sort=sort,
        shown={k: str(values.get(k) or "").strip() for k in FILTER_NAMES},
    )


def _text_matches(
    conn: Connection, installation: Installation, search: ConversationSearch
) -> list[str]:
    """Conversations whose id or *redacted* text holds the words: candidates from the stored
    text, each then checked as the screens show it, so masked personal data never matches."""
    wanted = search.text.casefold()
    candidates = search_store.candidate_keys(
        conn,
        search.scope,
        replace(search.conditions, text_like=search.text),
    )
    if len(candidates) > TEXT_CANDIDATES:
        raise InputRefused(
            [
                f"q: {search.text!r} is in more than {TEXT_CANDIDATES} conversations; "
                "narrow it with other filters or more words"
            ]
        )
    matched = {k for k in candidates if wanted in k.casefold()}
    master = installation.master_key()
    pending = [k for k in candidates if k not in matched]
    for start in range(0, len(pending), CHECK_CHUNK):
        # Messages and notes as the messages table holds them (no record decoded), with the
        # participants the floor masks (names, phones) from the opened records.
        loaded = load_excerpts(conn, pending[start : start + CHECK_CHUNK], (), master=master)
        redactor = scan_redactor(conn, installation, loaded)
        for conversation in loaded:
            people = tuple(conversation.participants.values())
            for event in conversation.events:
                if event.kind not in TEXT_KINDS:
                    continue
                shown = redactor.redact(str(event.body.get("text", "")), participants=people)
                if wanted in shown.text.casefold():
                    matched.add(conversation.key)
                    break
    return sorted(matched)


def _conditions(
    conn: Connection, installation: Installation, search: ConversationSearch
) -> ConversationConditions:
    if not search.text:
        return search.conditions
    keys = _text_matches(conn, installation, search)
    return replace(search.conditions, keys=keys)


def _row(row: Mapping[str, object]) -> ConversationRow:
    def number(name: str) -> float | None:
        value = row.get(name)
        return None if value is None else float(str(value))

    sessions = row.get("sessions")
    return ConversationRow(
        key=str(row["conversation_key"]),
        channel=str(row["channel"]),
        segment=None if row.get("segment") is None else str(row["segment"]),
        agent=None if row.get("primary_agent") is None else str(row["primary_agent"]),
        intent=None if row.get("intent") is None else str(row["intent"]),
        events=int(str(row["event_count"])),
        sessions=None if sessions is None else int(str(sessions)),
        csat=number("csat"),
        score=number("score"),
        failed_policies=int(str(row.get("failed_policies") or 0)),
        first_event_at=None if row.get("first_event_at") is None else str(row["first_event_at"]),
        last_event_at=None if row.get("last_event_at") is None else str(row["last_event_at"]),
    )


def search_conversations(
    installation: Installation,
    user: User,
    search: ConversationSearch,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ConversationList:
    """One page of the conversations matching ``search``, with the total count."""
    user.require(Permission.CONVERSATION_READ)
    page, per_page = bounded(page, per_page, MAX_PER_PAGE)
    with read_transaction(installation.engine) as conn:
        conditions = _conditions(conn, installation, search)
        total = search_store.count_conversations(conn, search.scope, conditions)
        rows = search_store.conversation_rows(
            conn,
            search.scope,
            conditions,
            sort=search.sort,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
    return ConversationList(
        search=search,
        rows=tuple(_row(r) for r in rows),
        total=total,
        page=page,
        per_page=per_page,
    )


def all_conversations(
    installation: Installation, user: User, search: ConversationSearch
) -> list[ConversationRow]:
    """Every conversation matching ``search``, in its order."""
    return list(iter_conversations(installation, user, search))


def iter_conversations(
    installation: Installation, user: User, search: ConversationSearch
) -> Iterator[ConversationRow]:
    """Every conversation matching ``search``, in its order, read as iterated (the streamed
    CSV download). A refusal (a text search in too many conversations) is raised here, before
    the first row: the conditions are settled first, the rows read afterwards."""
    user.require(Permission.CONVERSATION_READ)
    with read_transaction(installation.engine) as conn:
        conditions = _conditions(conn, installation, search)
    return _rows(installation, search, conditions)


def _rows(
    installation: Installation, search: ConversationSearch, conditions: ConversationConditions
) -> Iterator[ConversationRow]:
    with read_transaction(installation.engine) as conn:
        rows = search_store.iter_conversation_rows(conn, search.scope, conditions, sort=search.sort)
        yield from (_row(r) for r in rows)


def conversations_csv(rows: Iterable[ConversationRow]) -> str:
    """The list as CSV: one row per conversation (CSAT and score 0-100)."""
    return "".join(conversations_csv_chunks(rows))


def conversations_csv_chunks(rows: Iterable[ConversationRow]) -> Iterator[str]:
    """:func:`conversations_csv` a piece at a time: the header, then a page of rows each."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for count, r in enumerate(rows, 1):
        values: dict[str, object] = {
            "conversation": r.key,
            "channel": r.channel,
            "segment": r.segment or "",
            "agent": r.agent or "",
            "intent": r.intent or "",
            "events": r.events,
            "sessions": "" if r.sessions is None else r.sessions,
            "csat": "" if r.csat is None else f"{r.csat * 100:.0f}",
            "score": "" if r.score is None else f"{r.score:.1f}",
            "failed_policies": r.failed_policies,
            "first_event_at": r.first_event_at or "",
            "last_event_at": r.last_event_at or "",
        }
        writer.writerow({k: spreadsheet_safe(v) for k, v in values.items()})
        if count % CSV_PIECE_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def search_choices(installation: Installation) -> SearchChoices:
    """The values each choice list of the form can take (what is recorded)."""
    with read_transaction(installation.engine) as conn:
        return SearchChoices(
            agents=tuple((a["id"], a["name"] or a["id"]) for a in search_store.staff_ids(conn)),
            teams=tuple(search_store.teams(conn)),
            intents=tuple(search_store.intents(conn)),
            channels=tuple(review_store.channels(conn)),
            segments=tuple(search_store.segments(conn)),
            policies=tuple(sorted(known_policies(conn, installation))),
        )
