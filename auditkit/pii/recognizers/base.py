"""The base of auditkit's recognizers: regexes whose ``value`` group is the entity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

LANGUAGE = "en"


@dataclass(frozen=True)
class GroupPattern:
    """A regex finding one entity type; its group ``value`` (else the whole match) is the entity.

    The rest of the match is the cue ("my password is"), which is evidence, not personal data.
    """

    name: str
    entity_type: str
    regex: re.Pattern[str]
    score: float

    @property
    def span_group(self) -> str | int:
        """The group whose span is the entity."""
        return "value" if "value" in self.regex.groupindex else 0


def pattern(
    name: str, entity_type: str, regex: str, score: float, *, flags: int = re.IGNORECASE
) -> GroupPattern:
    """Compile a :class:`GroupPattern` (case-insensitive unless ``flags`` says otherwise)."""
    return GroupPattern(
        name=name, entity_type=entity_type, regex=re.compile(regex, flags), score=score
    )


class GroupPatternRecognizer(LocalRecognizer):
    """A recognizer declared by its ``PATTERNS``; subclasses may override :meth:`accept`."""

    PATTERNS: ClassVar[tuple[GroupPattern, ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        patterns: Sequence[GroupPattern] | None = None,
        *,
        name: str | None = None,
        context: Sequence[str] | None = None,
    ) -> None:
        self.patterns = tuple(self.PATTERNS if patterns is None else patterns)
        # Presidio sets ``name`` in two branches mypy cannot type; keep a typed copy.
        self.recognizer_name: str = name or type(self).__name__
        super().__init__(
            supported_entities=sorted({p.entity_type for p in self.patterns}),
            supported_language=LANGUAGE,
            name=self.recognizer_name,
            context=list(self.CONTEXT if context is None else context) or None,
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled already."""

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """Whether a matched ``value`` is really the entity (the hook subclasses override)."""
        return True

    def analyze(
        self, text: str, entities: Sequence[str] | None, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Every accepted match of every pattern whose type was asked for."""
        results: list[RecognizerResult] = []
        for item in self.patterns:
            if entities and item.entity_type not in entities:
                continue
            group = item.span_group
            for match in item.regex.finditer(text):
                start, end = match.span(group)
                if start < 0 or start == end:
                    continue
                if not self.accept(text[start:end], item, text, start):
                    continue
                results.append(self._result(item, start, end))
        return results

    def _result(self, item: GroupPattern, start: int, end: int) -> RecognizerResult:
        return text_result(
            self, item.entity_type, start, end, item.score, item.name, pattern=item.regex.pattern
        )


class TextRecognizer(LocalRecognizer):
    """A recognizer that reads the text itself (no patterns): one entity type (``ENTITY``),
    named after its class; ``load`` reads its data, if any, once per process."""

    ENTITY: ClassVar[str]

    def __init__(self) -> None:
        self.recognizer_name = type(self).__name__
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=LANGUAGE,
            name=self.recognizer_name,
        )

    def load(self) -> None:
        """Nothing to load unless a subclass says otherwise."""


def text_result(
    recognizer: LocalRecognizer,
    entity_type: str,
    start: int,
    end: int,
    score: float,
    why: str,
    *,
    pattern: str | None = None,
) -> RecognizerResult:
    """A result of one of auditkit's recognizers: its name, score and rule (``why``, and the
    regular expression that matched when there is one) as Presidio records them."""
    name = str(getattr(recognizer, "recognizer_name", None) or vars(recognizer)["name"])
    return RecognizerResult(
        entity_type=entity_type,
        start=start,
        end=end,
        score=score,
        analysis_explanation=AnalysisExplanation(
            recognizer=name,
            original_score=score,
            pattern_name=why,
            pattern=pattern,  # type: ignore[arg-type]  # Presidio: `pattern: str = None`
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )
