"""Redacted text: every character of every finding replaced by a type placeholder such as [CREDIT_CARD].

The placeholders are the screens' labels (:data:`LABELS`: ``[NAME]``, ``[EMAIL]``,
``[PHONE]``, else the entity type), the same in the CLI, the web app and the reports.

Overlapping findings are first merged into one span covering all of them (no character
of personal data may survive because two recognizers disagreed on a boundary); the
span's placeholder is the type of its most confident finding (then the longest, then
the first alphabetically). Presidio's anonymizer then replaces the disjoint spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import (
    ConflictResolutionStrategy,
    OperatorConfig,
    RecognizerResult,
)

from auditkit.pii.findings import Finding


@dataclass(frozen=True)
class RedactionSpan:
    """A disjoint range of text to replace, and the placeholder type it shows."""

    start: int
    end: int
    entity_type: str


LABELS = {"PERSON": "NAME", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE"}
"""Presidio's entity types as every view labels them (the rest keep their own name)."""


def label(entity_type: str) -> str:
    """The label a value of ``entity_type`` is shown as (``NAME`` for ``PERSON``)."""
    return LABELS.get(entity_type, entity_type)


def placeholder(entity_type: str) -> str:
    """The text that replaces a value of ``entity_type``: ``[NAME]``, ``[CREDIT_CARD]`` …"""
    return f"[{label(entity_type)}]"


def _label(cluster: Sequence[Finding]) -> str:
    best = min(cluster, key=lambda f: (-f.score, -(f.end - f.start), f.entity_type))
    return best.entity_type


def redaction_spans(
    findings: Iterable[Finding], text_length: int | None = None
) -> list[RedactionSpan]:
    """Merge overlapping findings into disjoint spans, each labelled by its best finding."""
    ordered = sorted(
        (f for f in findings if f.end > f.start),
        key=lambda f: (f.start, -f.end),
    )
    spans: list[RedactionSpan] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in ordered:
        if cluster and finding.start < cluster_end:
            cluster.append(finding)
            cluster_end = max(cluster_end, finding.end)
            continue
        if cluster:
            spans.append(RedactionSpan(cluster[0].start, cluster_end, _label(cluster)))
        cluster, cluster_end = [finding], finding.end
    if cluster:
        spans.append(RedactionSpan(cluster[0].start, cluster_end, _label(cluster)))
    if text_length is not None:
        spans = [
            RedactionSpan(max(0, span.start), min(span.end, text_length), span.entity_type)
            for span in spans
            if span.start < text_length
        ]
    return spans


@cache
def _anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()  # type: ignore[no-untyped-call]


def redact(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding replaced by its type placeholder, e.g. ``[EMAIL]``."""
    spans = redaction_spans(findings, len(text))
    if not spans:
        return text
    results = [
        RecognizerResult(entity_type=span.entity_type, start=span.start, end=span.end, score=1.0)
        for span in spans
    ]
    operators = {
        span.entity_type: OperatorConfig("replace", {"new_value": placeholder(span.entity_type)})
        for span in spans
    }
    engine_result = _anonymizer().anonymize(
        text=text,
        analyzer_results=results,
        operators=operators,
        # The spans are disjoint already; neither strategy has anything left to resolve,
        # and whitespace-separated neighbours must stay separate placeholders.
        conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS,
        merge_entities_with_spaces=False,
    )
    return str(engine_result.text)
