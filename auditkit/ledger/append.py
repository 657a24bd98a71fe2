"""Appending records: one writer at a time, Merkle nodes as they close, a signed checkpoint per batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from auditkit.db import Connection
from auditkit.db.engine import write_transaction
from auditkit.ledger import merkle
from auditkit.ledger import store as ledger_store
from auditkit.ledger.checkpoint import Checkpoint, Signer, sign_checkpoint
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections.replay import EVENT_KINDS, Projection
from auditkit.ledger.projections.timelines import TimelineBuilder
from auditkit.ledger.records import (
    CanonicalizationError,
    EncodedDraft,
    Record,
    RecordDraft,
    RecordKind,
    RecordRefused,
    canonical_problem,
    encode_entry,
    format_time,
    splice_entry,
)
from auditkit.ledger.sealing.cipher import (
    ERASED,
    PERSONAL_FIELDS,
    SUBJECT_KEYED,
    seal_parts,
    split_personal,
)
from auditkit.ledger.sealing.data_keys import DataKeys
from auditkit.ledger.tlog.published import after_checkpoint
from auditkit.periods import utc_now


@dataclass(frozen=True)
class SignedHead:
    """The checkpoint a batch ended with."""

    tree_size: int
    root_hash: bytes
    note: str


class AppendBatch:
    """Records appended inside one write transaction; sealed by one signed checkpoint."""

    def __init__(
        self, conn: Connection, *, recorded_at: str, data_keys: DataKeys | None = None
    ) -> None:
        self.conn = conn
        self.recorded_at = recorded_at
        self.data_keys = data_keys
        size = ledger_store.tree_size(conn)
        peaks = merkle.peak_nodes(size)
        stored = ledger_store.node_hashes(conn, [(n.level, n.index) for n in peaks])
        self.tree = merkle.CompactRange(size, [stored[(n.level, n.index)] for n in peaks])
        self.start_size = size
        self.projection = Projection()
        self.timelines = TimelineBuilder()
        self._seeded: set[str] = set()
        self._entry_rows: list[tuple[object, ...]] = []
        self._node_rows: list[tuple[int, int, bytes]] = []

    @property
    def size(self) -> int:
        """Tree size including what this batch appended so far."""
        return self.tree.size

    def known_conversations(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` exist, in the database or earlier in this batch."""
        self._seed(keys)
        return {key for key in keys if key in self.projection.conversations}

    def _seed(self, keys: Sequence[str]) -> None:
        missing = [key for key in dict.fromkeys(keys) if key not in self._seeded]
        if missing:
            self.projection.seed(
                ledger_store.conversation_rows(self.conn, missing),
                ledger_store.participant_rows(self.conn, missing),
            )
            self._seeded.update(missing)

    def append(self, drafts: Sequence[RecordDraft]) -> list[Record]:
        """Give each draft the next seq, store its leaf and fold it into the projections."""
        self._seed([d.conversation for d in drafts if d.conversation is not None])
        if self.data_keys is not None:
            self.data_keys.load(self._subjects(drafts))  # one query for the whole call
        records: list[Record] = []
        for draft in drafts:
            seq = self.tree.size
            occurred_at = format_time(draft.occurred_at)
            try:
                stored = self._sealed(seq, draft)
                entry = encode_entry(seq, stored, self.recorded_at, occurred_at)
            except CanonicalizationError as error:
                # Refused whole: the transaction this batch belongs to rolls back.
                raise RecordRefused(draft, canonical_problem(draft.body) or str(error)) from None
            self._store_leaf(seq, draft.kind, draft.conversation, occurred_at, entry)
            record = Record(
                seq=seq,
                kind=str(draft.kind),
                conversation=draft.conversation,
                recorded_at=self.recorded_at,
                occurred_at=occurred_at,
                body=draft.body,
                entry=entry,
            )
            self.projection.apply(record)
            self.timelines.apply(record)
            records.append(record)
        if self.data_keys is not None:
            self.data_keys.flush()  # readers in this transaction find every key it created
        return records

    def append_encoded(self, drafts: Sequence[EncodedDraft]) -> list[int]:
        """Append records whose bodies arrive encoded (:class:`EncodedDraft`); their seqs.

        The leaf bytes are those :meth:`append` would store: the envelope is spliced around
        each body (``records.splice_entry``), nothing is encoded again. Only kinds with
        nothing to seal and no ledger projection (an ``autoqa`` record): any other kind is
        refused before anything of the call is appended, since it needs :meth:`append`.
        """
        refused = sorted({str(d.kind) for d in drafts if not _encodable(d.kind)})
        if refused:
            raise ValueError(
                f"{', '.join(refused)} records seal personal fields or feed the ledger's "
                "projections: append them with AppendBatch.append"
            )
        seqs: list[int] = []
        for draft in drafts:
            seq = self.tree.size
            occurred_at = format_time(draft.occurred_at)
            entry = splice_entry(seq, draft, self.recorded_at, occurred_at)
            self._store_leaf(seq, draft.kind, draft.conversation, occurred_at, entry)
            seqs.append(seq)
        return seqs

    def _store_leaf(
        self, seq: int, kind: RecordKind, conversation: str | None, occurred_at: str, entry: bytes
    ) -> None:
        """Fold ``entry``'s leaf into the tree and queue its log and node rows."""
        leaf = merkle.leaf_hash(entry)
        for node, digest in self.tree.append(leaf):
            self._node_rows.append((node.level, node.index, digest))
        # In ledger_store.ENTRY_COLUMNS order.
        self._entry_rows.append(
            (seq, str(kind), conversation, self.recorded_at, occurred_at, entry, leaf)
        )

    def _subjects(self, drafts: Sequence[RecordDraft]) -> list[str]:
        known = self.projection.conversations
        return [
            subject
            for draft in drafts
            if (
                draft.kind == RecordKind.CONVERSATION_OPENED
                or draft.conversation is None
                or draft.conversation in known
            )
            and (subject := self._subject_of(draft)) is not None
        ]

    def _subject_of(self, draft: RecordDraft) -> str | None:
        """Whose key seals the draft: the conversation's customer, or for a record of
        ``SUBJECT_KEYED`` without a conversation (an erasure, a hold on a subject) the
        ``subject`` it names; None when nothing would seal it."""
        if draft.kind == RecordKind.CONVERSATION_OPENED:
            return str(draft.body["customer"])
        if draft.conversation is None:
            subject = draft.body.get("subject")
            if str(draft.kind) in SUBJECT_KEYED and isinstance(subject, str) and subject:
                return subject
            return None
        return str(self.projection.conversations[draft.conversation]["customer"])

    def _sealed(self, seq: int, draft: RecordDraft) -> RecordDraft:
        """The draft as stored: personal fields sealed under its subject's key (see
        :meth:`_subject_of`)."""
        if self.data_keys is None:
            return draft
        subject = self._subject_of(draft)
        if subject is None:
            return draft
        kind = str(draft.kind)
        clear, personal = split_personal(kind, draft.body)
        if not personal or all(value == ERASED for value in personal.values()):
            return draft  # nothing personal (text already erased, e.g. a late hold's reason)
        body = seal_parts(
            kind,
            clear,
            personal,
            subject=subject,
            data_key=self.data_keys.for_sealing(subject),
            seq=seq,
            conversation=draft.conversation,
        )
        return dataclasses.replace(draft, body=body)

    def flush(self) -> None:
        """Write what was appended so far (still inside the transaction)."""
        if self.data_keys is not None:
            self.data_keys.flush()
        ledger_store.insert_entries(self.conn, self._entry_rows)
        ledger_store.insert_nodes(self.conn, self._node_rows)
        p = self.projection
        new = set(p.new_conversations)
        ledger_store.write_projection(
            self.conn,
            new_conversations=[p.conversations[key] for key in p.new_conversations],
            changed_conversations=[
                p.conversations[key] for key in sorted(p.changed_conversations - new)
            ],
            new_participants=p.new_participants,
            new_events=p.new_events,
            new_messages=p.new_messages,
        )
        self.timelines.flush(self.conn)
        self._entry_rows, self._node_rows = [], []
        p.new_conversations, p.new_participants, p.new_events, p.new_messages = [], [], [], []
        p.changed_conversations = set()
        self._seeded.update(new)

    def sign(self, signer: Signer, origin: str) -> SignedHead | None:
        """Flush and store the signed checkpoint of the new tree (None if nothing was appended)."""
        self.flush()
        if self.tree.size == self.start_size:
            return None
        root = self.tree.root()
        note = sign_checkpoint(
            Checkpoint(origin=origin, size=self.tree.size, root_hash=root), signer
        )
        ledger_store.insert_checkpoint(
            self.conn,
            ledger_store.StoredCheckpoint(
                tree_size=self.tree.size,
                root_hash=root,
                created_at=self.recorded_at,
                key_id=f"{signer.key_id:08x}",
                note=note,
            ),
        )
        return SignedHead(tree_size=self.tree.size, root_hash=root, note=note)


def _encodable(kind: RecordKind) -> bool:
    """Whether a record of ``kind`` may be appended encoded: nothing of it is sealed and no
    ledger projection (conversations, participants, events, timelines) reads its body."""
    return (
        str(kind) not in PERSONAL_FIELDS
        and kind not in EVENT_KINDS
        and kind not in (RecordKind.CONVERSATION_OPENED, RecordKind.PARTICIPANT_ADDED)
    )


@contextmanager
def appending(installation: Installation) -> Iterator[AppendBatch]:
    """A batch under the writer lock; on normal exit it is signed and committed, else rolled back."""
    signer = installation.signer()  # fail before taking the lock if the key is unusable
    master = installation.master_key()
    origin = installation.origin
    with write_transaction(installation.engine) as conn:
        keys = DataKeys(conn, master) if master is not None else None
        batch = AppendBatch(conn, recorded_at=format_time(utc_now()), data_keys=keys)
        yield batch
        head = batch.sign(signer, origin)
    if head is not None:  # committed: keep it outside the database, offer it to witnesses
        after_checkpoint(installation, head.note)


def append_records(installation: Installation, drafts: Sequence[RecordDraft]) -> list[Record]:
    """Append ``drafts`` in one signed, committed batch."""
    with appending(installation) as batch:
        return batch.append(drafts)
