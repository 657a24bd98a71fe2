"""Query tables rebuilt from the log: each feature registers what it derives; verify compares.

A feature whose tables are projections of records (the ledger's conversations, the review
app's reviews, ...) registers a ``ProjectionSource`` from its ``projections`` module. ``verify``
replays every record through each source's rebuilder and compares the rows it would write
with the rows stored, table by table, without naming any feature.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from auditkit.ledger.records import Record
from auditkit.ledger.sealing.cipher import MasterKey

Row = dict[str, Any]


class Rebuilder(Protocol):
    """Replays records in seq order into the rows a feature's query tables should hold."""

    def apply(self, record: Record) -> None:
        """Add one record (in seq order) to what the tables should hold."""

    def rows(self) -> Mapping[str, Iterable[Row]]:
        """The expected rows of each table, in any order."""


@dataclass(frozen=True)
class ProjectionSource:
    """One feature's projections: each table with its primary key, and how to rebuild them."""

    feature: str
    primary_keys: Mapping[str, tuple[str, ...]]
    rebuilder: Callable[[], Rebuilder]


_REGISTRY: dict[str, ProjectionSource] = {}


@dataclass(frozen=True)
class ErasedSubject:
    """A subject being erased, as the features' erasers see it (inside the erasure's
    transaction, never stored): their conversations, and the names, e-mails and phones they
    were known by, to find copies kept outside the log (refused webhook bodies)."""

    subject: str
    conversations: Sequence[str]
    identifiers: Sequence[str]
    # The names the subject was declared under, and the master key, for features that must
    # go on masking what erasure removes (pii keeps keyed digests of the name parts).
    names: Sequence[str] = ()
    master: MasterKey | None = None
    # The ``erasure`` record's seq, for what features record about it (the review queue
    # closes the open assignments of the conversations with it).
    erasure_seq: int | None = None


StaffTextEraser = Callable[[Any, ErasedSubject, str], None]
"""``(conn, subject, erased marker)``: overwrite or delete what a feature keeps in clear
about the subject's conversations (staff text, refused payloads); the log keeps it sealed."""

_ERASERS: dict[str, StaffTextEraser] = {}

# The one module that imports every feature's tables and projections (see docs/architecture.md).
SCHEMA_MODULE = "auditkit.db.schema"


def register_projection(source: ProjectionSource) -> None:
    """Register (or replace, by feature name) what a feature rebuilds from the log."""
    _REGISTRY[source.feature] = source


def registered_projections() -> list[ProjectionSource]:
    """Every feature's projections, once the whole schema has been loaded."""
    importlib.import_module(SCHEMA_MODULE)
    return list(_REGISTRY.values())


def register_staff_text_eraser(feature: str, eraser: StaffTextEraser) -> None:
    """Register how erasure clears a feature's copies of staff text (one per feature)."""
    _ERASERS[feature] = eraser


def registered_staff_text_erasers() -> list[StaffTextEraser]:
    """Every feature's staff-text eraser, once the whole schema has been loaded."""
    importlib.import_module(SCHEMA_MODULE)
    return list(_ERASERS.values())


def primary_key(columns: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """A sort key of rows by the given primary-key columns."""
    return lambda row: tuple(row[c] for c in columns)
