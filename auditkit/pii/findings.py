"""A finding: where a piece of personal data is in a text, never the data itself."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from presidio_analyzer import RecognizerResult


@dataclass(frozen=True, order=True)
class Finding:
    """One piece of personal data found in a text: where, what, how sure, found by what.

    Never holds the value itself, so it can be stored and shown without revealing it.
    Findings order by position.
    """

    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str

    def inside(self, other: Finding) -> bool:
        """Whether this finding lies within ``other`` (and is not ``other``)."""
        return other.start <= self.start and self.end <= other.end and self != other

    def overlaps(self, other: Finding) -> bool:
        """Whether the two findings share a character (and are not the same finding)."""
        return self.start < other.end and other.start < self.end and self != other

    def as_dict(self) -> dict[str, str | int | float]:
        """The finding as JSON-ready values (entity type, offsets, score, recognizer)."""
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "recognizer": self.recognizer,
        }


def finding_from_result(result: RecognizerResult) -> Finding:
    """The finding of one Presidio result, named by the recognizer that produced it."""
    metadata = result.recognition_metadata or {}
    recognizer = metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY) or "unknown"
    return Finding(
        start=int(result.start),
        end=int(result.end),
        entity_type=str(result.entity_type),
        score=float(result.score),
        recognizer=str(recognizer),
    )


def without_contained(findings: Iterable[Finding]) -> list[Finding]:
    """Drop a finding inside another of the same type that scores as high (Presidio's rule)."""
    kept: list[Finding] = []
    ordered = sorted(findings, key=lambda f: (f.entity_type, f.start, -(f.end - f.start), -f.score))
    for finding in ordered:
        if any(
            other.entity_type == finding.entity_type
            and other.start <= finding.start
            and finding.end <= other.end
            and finding.score <= other.score
            for other in kept
        ):
            continue
        kept.append(finding)
    return sorted(kept)
