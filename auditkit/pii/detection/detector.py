"""The PII detector: built once per process from a config, run over batches of messages."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.detection.config import (
    DETECTOR_VERSION,
    DetectorConfig,
    DetectorMode,
    RecognizerSet,
)
from auditkit.pii.detection.nlp import (
    DEFAULT_BATCH_SIZE,
    BatchedSpacyNlpEngine,
    LazyLemmaArtifacts,
    LemmasNeeded,
    TokenizerNlpEngine,
)
from auditkit.pii.detection.offline import install_offline_tldextract, load_spacy_model
from auditkit.pii.detection.prefilter import CandidateFilter
from auditkit.pii.detection.refinement import refine
from auditkit.pii.detection.registry import build_registry, stock_ner_configuration
from auditkit.pii.errors import DetectorConfigInvalid
from auditkit.pii.findings import Finding, finding_from_result, without_contained
from auditkit.pii.recognizers import ParticipantRecognizer
from auditkit.pii.recognizers.base import LANGUAGE
from auditkit.pii.recognizers.participants import StaffWords

DEFAULT_CACHE_SIZE = 20_000
"""Distinct message texts whose findings a detector remembers ("Thanks!", canned replies)."""

PARTICIPANT_TYPES = frozenset({"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"})


@lru_cache(maxsize=256)
def _participant_recognizer(participants: tuple[LedgerParticipant, ...]) -> ParticipantRecognizer:
    return ParticipantRecognizer(participants)


@lru_cache(maxsize=256)
def _staff_words(participants: tuple[LedgerParticipant, ...]) -> StaffWords:
    return StaffWords.of(participants)


class Detector:
    """Finds personal data in messages with Presidio, batched through spaCy's ``nlp.pipe``.

    Not thread-safe (it remembers recent texts); build one per process with
    :func:`build_detector`.
    """

    def __init__(
        self,
        *,
        config: DetectorConfig,
        analyzer: AnalyzerEngine,
        batch_size: int = DEFAULT_BATCH_SIZE,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.config = config
        self.analyzer = analyzer
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.version = DETECTOR_VERSION
        self.config_hash = config.config_hash()
        supported = frozenset(analyzer.get_supported_entities(LANGUAGE)) | PARTICIPANT_TYPES
        if config.entities is not None:
            unknown = sorted(config.entities - supported)
            if unknown:
                raise DetectorConfigInvalid(
                    [f"entity type {name} is not found in mode {config.mode}" for name in unknown]
                )
        self.entity_types: frozenset[str] = (
            supported if config.entities is None else frozenset(config.entities)
        )
        asked = (
            config.entities & frozenset(analyzer.get_supported_entities(LANGUAGE))
            if config.entities
            else None
        )
        self._entities: list[str] | None = sorted(asked) if asked is not None else None
        self._refine = config.recognizers == RecognizerSet.FULL
        self._candidates = CandidateFilter.of(list(analyzer.registry.recognizers))
        self._asked = frozenset(self._entities) if self._entities is not None else None
        self._cache: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()

    @property
    def nlp_engine(self) -> NlpEngine:
        """The NLP engine the analyzer runs (batched spaCy, or tokenizer-only)."""
        return self.analyzer.nlp_engine

    def detect(
        self, text: str, participants: Sequence[LedgerParticipant] | None = None
    ) -> list[Finding]:
        """The findings in one text, ordered by position."""
        return self.detect_batch([text], participants)[0]

    def detect_batch(
        self, texts: Sequence[str], participants: Sequence[LedgerParticipant] | None = None
    ) -> list[list[Finding]]:
        """The findings in each text (same order), ordered by position.

        ``participants`` are the conversation's own people: their names, emails and phones
        are found wherever they appear. Give one conversation's messages per call. The
        stock recognizer set ignores them: it is Presidio's defaults and nothing else.
        """
        return self.merge(texts, self._analyze_texts(texts), participants)

    def analyze(self, texts: Sequence[str]) -> list[tuple[Finding, ...]]:
        """Each text's findings before the participants are added (what :meth:`merge` takes).

        This is the costly part (the model, the recognizers); it depends on the text alone,
        so a scan analyses each distinct text once and merges it into every conversation
        it appears in.
        """
        known = self._analyze_texts(texts)
        return [known[text] for text in texts]

    def merge(
        self,
        texts: Sequence[str],
        known: Mapping[str, Sequence[Finding]],
        participants: Sequence[LedgerParticipant] | None = None,
    ) -> list[list[Finding]]:
        """The findings of ``texts`` from their :meth:`analyze` results (``known``, by text)
        and one conversation's ``participants``: what :meth:`detect_batch` returns."""
        if not participants or self.config.recognizers == RecognizerSet.STOCK:
            return [list(known[text]) for text in texts]
        people = tuple(participants)
        recognizer = _participant_recognizer(people)
        staff = _staff_words(people)
        threshold = self.config.score_threshold
        merged: list[list[Finding]] = []
        for text in texts:
            extra = [
                finding
                for finding in map(finding_from_result, recognizer.analyze(text, self._entities))
                if finding.score >= threshold and finding.entity_type in self.entity_types
            ]
            found = list(known[text])
            if extra:
                found = without_contained([*found, *extra])
                found = refine(found, text) if self._refine else found
            merged.append(staff.unmask(found, text))
        return merged

    def _analyze_texts(self, texts: Sequence[str]) -> dict[str, tuple[Finding, ...]]:
        """Findings per distinct text, from the cache or one batched pass over the rest."""
        known: dict[str, tuple[Finding, ...]] = {}
        missing: list[str] = []
        for text in texts:
            if text in known:
                continue
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                known[text] = cached
            else:
                known[text] = ()
                missing.append(text)
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            analysed = list(
                self.nlp_engine.process_batch(chunk, LANGUAGE, batch_size=self.batch_size)
            )
            # Ask only for the types some recognizer can find here: same results, and
            # most messages need no recognizer at all (see prefilter.py).
            candidates = [
                self._candidates.candidates(text, artifacts) for text, artifacts in analysed
            ]
            # Lemmas are read only when a recognizer with context words found something:
            # analyse with lemmas deferred, then tag and lemmatize the documents that
            # asked for them in one batch and analyse those again (same findings).
            complete = getattr(self.nlp_engine, "complete", None)
            pending: list[tuple[str, NlpArtifacts, frozenset[str]]] = []
            for (text, artifacts), candidate in zip(analysed, candidates, strict=True):
                asked = candidate if self._asked is None else candidate & self._asked
                if complete is not None and isinstance(artifacts, LazyLemmaArtifacts):
                    artifacts.deferred = True
                try:
                    known[text] = self._findings(text, artifacts, asked)
                except LemmasNeeded:
                    pending.append((text, artifacts, asked))
                    continue
                self._remember(text, known[text])
            if pending and complete is not None:
                complete([artifacts for _, artifacts, _ in pending])
                for text, artifacts, asked in pending:
                    known[text] = self._findings(text, artifacts, asked)
                    self._remember(text, known[text])
        return known

    def _findings(
        self, text: str, artifacts: NlpArtifacts, asked: frozenset[str]
    ) -> tuple[Finding, ...]:
        """The findings of the asked types in one analysed text (none asked: none found)."""
        if not asked:
            return ()
        results = self.analyzer.analyze(
            text=text, language=LANGUAGE, entities=sorted(asked), nlp_artifacts=artifacts
        )
        found = sorted(finding_from_result(result) for result in results)
        return tuple(refine(found, text) if self._refine else found)

    def _remember(self, text: str, findings: tuple[Finding, ...]) -> None:
        if self.cache_size <= 0:
            return
        self._cache[text] = findings
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def build_detector(
    config: DetectorConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    cache_size: int = DEFAULT_CACHE_SIZE,
) -> Detector:
    """Load the model (installed only, never downloaded) and recognizers for ``config``."""
    config = config or DetectorConfig()
    install_offline_tldextract()
    engine: NlpEngine
    if config.mode == DetectorMode.SPACY:
        engine = BatchedSpacyNlpEngine(
            load_spacy_model(config.spacy_model),
            language=LANGUAGE,
            ner_model_configuration=stock_ner_configuration(),
            batch_size=batch_size,
        )
    else:
        engine = TokenizerNlpEngine(LANGUAGE)
    analyzer = AnalyzerEngine(
        registry=build_registry(config, engine),
        nlp_engine=engine,
        default_score_threshold=config.score_threshold,
        supported_languages=[LANGUAGE],
    )
    return Detector(config=config, analyzer=analyzer, batch_size=batch_size, cache_size=cache_size)
