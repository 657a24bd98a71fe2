"""Handoff and escalation documentation: a structured internal note from whoever hands off."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Self

from auditkit.checks.results import CheckContext, RuleOutcome
from auditkit.checks.rules.base import Rule, each, failed, not_applicable, passed
from auditkit.checks.spec import Spec, join_path
from auditkit.checks.timeline import Timeline
from auditkit.ledger.records import RecordKind

DEFAULT_WITHIN_MINUTES = 10.0


class Handoff(StrEnum):
    """The kinds of event that hand a case to someone else."""

    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class NoteField:
    """A field a handoff note must fill: a key of the note's ``fields`` or a ``name:`` line."""

    name: str
    line: re.Pattern[str]

    @classmethod
    def of(cls, name: str) -> NoteField:
        """Prepare the field ``name`` for matching."""
        return cls(name.casefold(), re.compile(rf"(?im)^\s*{re.escape(name)}\s*[:=]\s*\S"))

    def filled(self, fields: Mapping[str, Any], text: str) -> bool:
        """Whether the note fills this field, structurally or as a labelled line of text."""
        value = fields.get(self.name)
        if value not in (None, "", [], {}):
            return True
        return bool(text) and self.line.search(text) is not None


@dataclass(frozen=True)
class HandoffDocumented(Rule):
    """Each transfer or escalation has an internal note, with the listed fields, from the handing-off person.

    The note must be written by the assignment's ``from`` (or the escalation's ``by``;
    any staff member when the escalation names nobody) within ``within_minutes`` before
    or after the handoff. First routing (an assignment ``from`` nobody) is not a handoff.
    """

    type_name = "handoff_documented"
    fields = ("handoffs", "note_fields", "within_minutes")

    handoffs: frozenset[Handoff]
    note_fields: tuple[NoteField, ...]
    within: timedelta

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read which events count as handoffs, the note's fields and the time allowed."""
        kinds: list[Handoff] = []
        for index, value in enumerate(spec.labels("handoffs")):
            try:
                kinds.append(Handoff(value))
            except ValueError:
                spec.problems.add(
                    join_path(spec.field("handoffs"), index),
                    f"{value!r} is not one of {', '.join(Handoff)}",
                )
        minutes = spec.number("within_minutes", default=DEFAULT_WITHIN_MINUTES, minimum=0)
        return cls(
            rule_id=rule_id,
            handoffs=frozenset(kinds or Handoff),
            note_fields=tuple(NoteField.of(n) for n in spec.labels("note_fields", required=True)),
            within=timedelta(minutes=minutes),
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Find a complete note near each handoff."""
        events = timeline.events
        handoffs: list[tuple[int, str | None]] = []
        if Handoff.ASSIGNMENT in self.handoffs:
            for index in timeline.indices("assignment"):
                body = events[index].body
                giver = body.get("from")
                if giver is not None and giver != body.get("to"):
                    handoffs.append((index, giver))
        if Handoff.ESCALATION in self.handoffs:
            handoffs.extend((i, events[i].body.get("by")) for i in timeline.indices("escalation"))
        if not handoffs:
            return not_applicable("No transfer or escalation happened.")
        handoffs.sort()
        notes = timeline.indices("internal_note")
        violations: list[str] = []
        proof: list[int] = []
        against: list[int] = []
        for index, giver in handoffs:
            event = events[index]
            what = "escalation" if event.kind == RecordKind.ESCALATION else "transfer"
            near = [
                n
                for n in notes
                if abs(events[n].at - event.at) <= self.within
                and (events[n].body.get("author") == giver if giver else timeline.is_staff(n))
            ]
            complete = next((n for n in near if not self._missing(events[n].body)), None)
            if complete is not None:
                proof.extend((event.seq, events[complete].seq))
                continue
            against.append(event.seq)
            minutes = f"{self.within.total_seconds() / 60:g} minutes"
            if near:
                missing = self._missing(events[near[0]].body)
                against.append(events[near[0]].seq)
                violations.append(
                    f"the note for the {what} at seq {event.seq} (seq {events[near[0]].seq})"
                    f" lacks {', '.join(missing)}"
                )
            else:
                violations.append(
                    f"the {what} at seq {event.seq} has no internal note from the person handing"
                    f" off within {minutes}"
                )
        if violations:
            return failed(violations, against)
        return passed(
            f"{each(len(handoffs), 'handoff').capitalize()} has a complete internal note.",
            proof,
        )

    def _missing(self, body: Mapping[str, Any]) -> list[str]:
        raw_fields = body.get("fields")
        fields = (
            {str(k).casefold(): v for k, v in raw_fields.items()}
            if isinstance(raw_fields, Mapping)
            else {}
        )
        text = body.get("text")
        text = text if isinstance(text, str) else ""
        return [f.name for f in self.note_fields if not f.filled(fields, text)]
