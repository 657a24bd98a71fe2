"""Live ingestion: authenticate a webhook delivery, validate it, append what is new, signed.

A delivery is appended in the write transaction of the request that brought it: the HTTP
answer is given only after the records are committed under a signed checkpoint, so an
acknowledged delivery is never lost and a refused one appended nothing. Concurrent
deliveries in one process share a transaction (group commit, :class:`WebhookReceiver`): the
thread holding the writer lock appends every delivery that queued up meanwhile, so a burst
costs one commit and one checkpoint per group instead of one per delivery.

Idempotency rides on the conversation's event keys (the ``conversation_events``
projection): a duplicate delivery finds its keys recorded and appends nothing. An edited
message (``message_updated``) becomes a ``correction`` record pointing at the original's
event key and seq; the original is never touched.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from auditkit.db.engine import read_transaction
from auditkit.errors import AuditkitError, ImportRejected, WriterBusy
from auditkit.ledger.append import AppendBatch, appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import (
    RecordDraft,
    RecordKind,
    canonical_json,
    format_time,
)
from auditkit.metrics.refresh import refresh_conversations
from auditkit.periods import utc_now
from auditkit.settings import Settings
from auditkit.sources import revisions
from auditkit.sources import store as webhook_store
from auditkit.sources.chatwoot.export import WebhookDelivery, parse_webhook
from auditkit.sources.chatwoot.lifecycle import (
    fact_of,
    is_unknown_reopen,
    recorded_facts,
    restated,
    with_known_reopens,
)
from auditkit.sources.erasure import expire_rejections
from auditkit.sources.identity import (
    event_identities,
)
from auditkit.sources.ingest import conversation_body, event_draft
from auditkit.sources.jsonl import decode_json
from auditkit.sources.revisions import GroupState

PLATFORM = "chatwoot"
SIGNATURE_TOLERANCE_SECONDS = 300
"""A signed delivery whose timestamp is further than this from now is refused (replay)."""

_MAX_TIMESTAMP_DIGITS = 12
"""Seconds since 1970 fit in 12 digits until the year 33658."""

MAX_GROUP = 200
"""Most deliveries appended in one group-commit transaction."""

log = logging.getLogger(__name__)


class WebhookRejected(AuditkitError):
    """A delivery was refused; ``status`` is the HTTP status to answer and ``reason`` why."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"webhook refused ({status}): {reason}")


@dataclass(frozen=True)
class DeliveryReport:
    """What one accepted delivery appended."""

    source: str
    event: str
    conversation: str
    records_appended: int
    tree_size: int

    @property
    def duplicate(self) -> bool:
        """True when everything in the delivery was already recorded."""
        return self.records_appended == 0


@dataclass(frozen=True)
class RejectedPayload:
    """A refused delivery kept for inspection."""

    id: int
    received_at: str
    source: str
    platform: str
    status: int
    reason: str
    body_sha256: str
    body: bytes


# --- authentication -----------------------------------------------------------------------


def resolve_source(settings: Settings, source: str | None) -> str:
    """The configured source a delivery claims; refuses when none is configured or it is unknown.

    Without a ``source`` the only configured source is meant; with several, one must be named.
    """
    secrets = settings.webhook_secrets
    if not secrets:
        raise WebhookRejected(
            403, "webhooks are not enabled: no source is configured in AUDITKIT_WEBHOOK_SECRETS"
        )
    if source is None or source == "":
        if len(secrets) == 1:
            return next(iter(secrets))
        raise WebhookRejected(401, "name the source: add ?source=NAME to the webhook URL")
    return source


def check_token(settings: Settings, source: str, token: str) -> None:
    """Refuse unless ``token`` is the secret of ``source`` (constant-time comparison)."""
    secret = settings.webhook_secrets.get(source)
    # Compare against something even for an unknown source, so timing tells nothing.
    expected = (secret or "\x00" * 32).encode("utf-8")
    matches = hmac.compare_digest(token.encode("utf-8"), expected)
    if secret is None or not matches:
        raise WebhookRejected(401, "unknown source or wrong secret")


def check_signature(
    settings: Settings,
    source: str,
    *,
    body: bytes,
    signature: str,
    timestamp: str,
    now: datetime | None = None,
) -> None:
    """Refuse unless ``signature`` is Chatwoot's ``sha256=HMAC(secret, "<timestamp>.<body>")``
    with the source's secret and a timestamp within :data:`SIGNATURE_TOLERANCE_SECONDS`."""
    secret = settings.webhook_secrets.get(source)
    key = (secret or "\x00" * 32).encode("utf-8")
    digest = hmac.new(key, timestamp.encode("ascii", "replace") + b"." + body, hashlib.sha256)
    matches = hmac.compare_digest(
        signature.encode("ascii", "replace"), f"sha256={digest.hexdigest()}".encode()
    )
    if secret is None or not matches:
        raise WebhookRejected(401, "unknown source or wrong signature")
    if not timestamp:
        raise WebhookRejected(401, "signature timestamp is missing or not recent")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        # Signed, but not a time: a 400 saying so (an int of 400 digits is no float).
        raise WebhookRejected(
            400,
            f"X-Chatwoot-Timestamp: {timestamp[:20]!r} is not a Unix time in seconds"
            f" (up to {_MAX_TIMESTAMP_DIGITS} digits)",
        )
    moment = (now or utc_now()).timestamp()
    if abs(moment - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookRejected(401, "signature timestamp is missing or not recent")


# --- receiving ----------------------------------------------------------------------------


@dataclass(eq=False)  # identity: two deliveries of the same payload are two jobs
class _Job:
    source: str
    delivery: WebhookDelivery
    done: bool = False
    report: DeliveryReport | None = None
    error: BaseException | None = None


@dataclass
class WebhookReceiver:
    """Receives deliveries for one installation, appending concurrent ones in shared groups.

    Make one per process (the web app keeps it beside the installation); every method is
    safe to call from many threads at once.
    """

    installation: Installation
    max_group: int = MAX_GROUP
    # Called with the changed conversations after their metrics are refreshed: a feature
    # above sources (AutoQA) keeps itself current without sources importing it.
    after_refresh: Callable[[Installation, Sequence[str]], object] | None = None
    _queue: list[_Job] = field(default_factory=list, repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _leading: bool = field(default=False, repr=False)
    _stale_metrics: set[str] = field(default_factory=set, repr=False)

    def receive(
        self, *, source: str, body: bytes, received_at: datetime | None = None
    ) -> DeliveryReport:
        """Validate one authenticated Chatwoot delivery and append it; returns after commit.

        A malformed or unknown payload is kept in the rejected-payload table and raises
        :class:`WebhookRejected` (400 for bytes that are not JSON, 422 for JSON that is not
        a payload auditkit records).
        """
        moment = received_at or utc_now()
        account = self.installation.settings.webhook_accounts.get(source)
        try:
            delivery = parse_delivery(body, source=source, received_at=moment, account=account)
        except WebhookRejected as refusal:
            record_rejection(
                self.installation,
                source=source,
                status=refusal.status,
                reason=refusal.reason,
                body=body,
                received_at=moment,
            )
            raise
        return self._append(_Job(source=source, delivery=delivery))

    def _refresh_metrics(self, group: Sequence[_Job]) -> None:
        """Recompute the metrics of conversations changed by committed groups, as a leader.

        Like the commit, the refresh is shared: while deliveries are queued the changed
        conversations are only noted, and refreshed once the queue is empty or
        :attr:`max_group` of them have accumulated. Done while leading, so it never
        contends with an append for the database's write lock.
        """
        self._stale_metrics.update(
            job.report.conversation
            for job in group
            if job.report is not None and not job.report.duplicate
        )
        with self._changed:
            busy = bool(self._queue)
        if not self._stale_metrics or (busy and len(self._stale_metrics) < self.max_group):
            return
        keys = sorted(self._stale_metrics)
        self._stale_metrics.clear()
        try:
            refresh_conversations(self.installation, keys)
        except Exception:
            # The deliveries are committed and acknowledged; a stale metrics row is
            # recomputed by the next reader (conversation view, sampling, reports).
            log.exception("metrics of %d webhook conversation(s) not refreshed", len(keys))
        if self.after_refresh is not None:
            try:
                self.after_refresh(self.installation, keys)
            except Exception:
                # Committed and acknowledged; the next `auditkit autoqa` scores them.
                log.exception("%d webhook conversation(s) not scored by AutoQA", len(keys))

    def _append(self, job: _Job) -> DeliveryReport:
        """Queue the job; the first thread to find no commit running leads the next group.

        A thread whose job another leader committed returns at once; the others wait until
        the running commit ends, and one of them leads the next group with whatever queued
        up meanwhile.
        """
        with self._changed:
            self._queue.append(job)
            while not job.done and self._leading:
                self._changed.wait()
            lead = not job.done
            if lead:
                self._leading = True
                self._queue.remove(job)
                group = [job, *self._queue[: self.max_group - 1]]
                del self._queue[: self.max_group - 1]
        if lead:
            try:
                _commit_group(self.installation, group)
            finally:
                with self._changed:
                    self._changed.notify_all()  # the group's senders return now
            try:
                self._refresh_metrics(group)
            finally:
                with self._changed:
                    self._leading = False
                    self._changed.notify_all()
        if job.error is not None:
            raise job.error
        assert job.report is not None
        return job.report


def parse_delivery(
    body: bytes, *, source: str, received_at: datetime, account: str | None = None
) -> WebhookDelivery:
    """Decode and validate a request body, or raise :class:`WebhookRejected` saying why.

    ``account`` is the source's Chatwoot account (``AUDITKIT_WEBHOOK_ACCOUNTS``), if set.
    """
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise WebhookRejected(
            400, f"body is not valid UTF-8 at byte {error.start}: {error.reason}"
        ) from None
    if not text.strip():
        raise WebhookRejected(400, "body is empty: expected a JSON object")
    try:
        payload = decode_json(text)
    except ValueError as error:
        raise WebhookRejected(400, str(error)) from None
    try:
        delivery = parse_webhook(
            payload, source=f"{PLATFORM}:{source}", received_at=received_at, account=account
        )
    except ImportRejected as refusal:
        raise WebhookRejected(422, refusal.reason) from None
    for event in delivery.conversation.events:
        try:
            canonical_json(dict(event.data))
        except (ValueError, TypeError) as error:
            raise WebhookRejected(
                422, f"event {event.data.get('id')!r}: a value cannot be stored exactly: {error}"
            ) from None
    return delivery


def record_rejection(
    installation: Installation,
    *,
    source: str,
    status: int,
    reason: str,
    body: bytes,
    received_at: datetime | None = None,
) -> None:
    """Keep a refused payload and the reason, outside the log (it appended nothing).

    Refused payloads expire after ``REJECTION_RETENTION`` (older ones are forgotten here)
    and are deleted when a subject they name is erased (``sources/erasure.py``).
    """
    with installation.engine.begin() as conn:
        expire_rejections(conn, now=received_at or utc_now())
        webhook_store.insert_rejection(
            conn,
            received_at=format_time(received_at or utc_now()),
            source=source[:64],
            platform=PLATFORM,
            status=status,
            reason=reason,
            body_sha256=hashlib.sha256(body).hexdigest(),
            body=body,
        )


def rejected_payloads(installation: Installation, *, limit: int = 100) -> list[RejectedPayload]:
    """The most recent refused payloads, newest first."""
    with read_transaction(installation.engine) as conn:
        rows = webhook_store.rejections(conn, limit=limit)
    return [
        RejectedPayload(
            id=row.id,
            received_at=row.received_at,
            source=row.source,
            platform=row.platform,
            status=row.status,
            reason=row.reason,
            body_sha256=row.body_sha256,
            body=row.body,
        )
        for row in rows
    ]


# --- appending ----------------------------------------------------------------------------


def _commit_group(installation: Installation, group: Sequence[_Job]) -> None:
    """Append a group in one transaction; if it fails, retry each delivery alone so that one
    bad delivery cannot fail the others."""
    try:
        _append_jobs(installation, group)
    except Exception as error:
        if len(group) == 1 or isinstance(error, WriterBusy):  # alone, each would wait again
            for job in group:
                job.error = error
        else:
            for job in group:
                try:
                    _append_jobs(installation, [job])
                except Exception as single:
                    job.error = single
    finally:
        for job in group:
            job.done = True


def _append_jobs(installation: Installation, jobs: Sequence[_Job]) -> None:
    counts: list[int] = []
    digest_key = installation.event_digest_key()
    with appending(installation) as batch:
        state = GroupState.load(batch, [job.delivery for job in jobs], digest_key)
        for job in jobs:
            drafts = delivery_drafts(batch, job.delivery, source=job.source, state=state)
            batch.append(drafts)
            counts.append(len(drafts))
    for job, count in zip(jobs, counts, strict=True):
        job.report = DeliveryReport(
            source=job.source,
            event=job.delivery.event,
            conversation=job.delivery.conversation.conversation_id,
            records_appended=count,
            tree_size=batch.size,
        )


def delivery_drafts(
    batch: AppendBatch, delivery: WebhookDelivery, *, source: str, state: GroupState
) -> list[RecordDraft]:
    """The records a delivery adds to what ``batch`` already holds (none for a duplicate)."""
    conversation = delivery.conversation
    key = conversation.conversation_id
    origin = f"webhook:{PLATFORM}:{source}:{delivery.event}"
    opened = conversation_body(conversation, origin)
    drafts: list[RecordDraft] = []
    if key not in batch.known_conversations([key]):
        first = min((event.at for event in conversation.events), default=delivery.changed_at)
        opened_at = min(delivery.opened_at or first, first)
        drafts.append(
            RecordDraft(
                kind=RecordKind.CONVERSATION_OPENED,
                conversation=key,
                occurred_at=opened_at,
                body=opened,
            )
        )
    else:
        for person in opened["participants"]:
            if (key, person["id"]) not in batch.projection.participants:
                drafts.append(
                    RecordDraft(
                        kind=RecordKind.PARTICIPANT_ADDED,
                        conversation=key,
                        occurred_at=delivery.changed_at,
                        body={"participant": person, "source": origin},
                    )
                )
    dropped: set[int] = set()
    events = conversation.events
    if key in batch.known_conversations([key]) and any(
        fact_of(str(event.type), dict(event.data), event.at) or is_unknown_reopen(event)
        for event in events
    ):
        # A change an export of the conversation (or another delivery) already recorded
        # under another id is not recorded twice; a change to open without its old status
        # is a reopening when the log has it resolved (lifecycle.py).
        batch.flush()
        facts = recorded_facts(batch.conn, key)
        events = with_known_reopens(facts, events)
        dropped = restated(facts, events)
    identities = event_identities(events, state.digest_key)
    for number, (event, identity) in enumerate(zip(events, identities, strict=True)):
        event_key = state.recorded_as(key, identity)
        if number in dropped and event_key is None:
            continue
        if event_key is None:
            drafts.append(event_draft(key, event, identity.key))
            state.appended.add((key, identity.key))
        elif delivery.revisable:
            correction = revisions.correction(batch, state, delivery, event, event_key)
            if correction is not None:
                drafts.append(correction)
                state.appended.add((key, str(correction.body["event_key"])))
    return drafts
