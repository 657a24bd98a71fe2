"""How a PII detector is configured, and the hash that names a configuration in the ledger."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from auditkit.pii.errors import DetectorConfigInvalid

DETECTOR_VERSION = "auditkit-pii/3"
"""Bumped whenever auditkit's own recognizers or merging rules change what is found (2: the
recall and precision rules of issue 17; 3: its fourth pass, address blocks, street types,
countries, label names, firm words; a scan re-detects every message once)."""

DEFAULT_SPACY_MODEL = "en_core_web_sm"
DEFAULT_SCORE_THRESHOLD = 0.4
PATTERNS_MODE_SETTING = "patterns"
"""The model setting that selects the pattern-only mode instead of a spaCy model name."""


class DetectorMode(StrEnum):
    """Whether spaCy's named-entity model runs, or only patterns (no model needed)."""

    SPACY = "spacy"
    PATTERNS = "patterns"


class RecognizerSet(StrEnum):
    """Which recognizers run: auditkit's full set, or only Presidio's stock ones."""

    FULL = "full"
    # Presidio's defaults alone, as a stock AnalyzerEngine runs them: for measuring
    # auditkit's batching against a naive loop on identical findings.
    STOCK = "stock"


def default_number_patterns() -> Path:
    """The packaged YAML file of partial-card, account, order and username patterns."""
    return Path(str(resources.files("auditkit.pii") / "data" / "number_patterns.yaml"))


@dataclass(frozen=True)
class DetectorConfig:
    """Everything that decides what a detector finds; hashed into every findings record."""

    mode: DetectorMode = DetectorMode.SPACY
    spacy_model: str = DEFAULT_SPACY_MODEL
    score_threshold: float = DEFAULT_SCORE_THRESHOLD
    # None: every type the mode can find; otherwise only these (see EntityType).
    entities: frozenset[str] | None = None
    # None: the packaged defaults (auditkit/pii/data/number_patterns.yaml).
    number_patterns: Path | None = None
    recognizers: RecognizerSet = RecognizerSet.FULL

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.mode, DetectorMode):
            try:
                object.__setattr__(self, "mode", DetectorMode(self.mode))
            except ValueError:
                problems.append(f"mode {self.mode!r} is not one of spacy, patterns")
        if not isinstance(self.recognizers, RecognizerSet):
            try:
                object.__setattr__(self, "recognizers", RecognizerSet(self.recognizers))
            except ValueError:
                problems.append(f"recognizers {self.recognizers!r} is not one of full, stock")
        if not 0.0 <= self.score_threshold <= 1.0:
            problems.append(f"score_threshold {self.score_threshold} is not between 0 and 1")
        if self.mode == DetectorMode.SPACY and not self.spacy_model.strip():
            problems.append("spacy_model is empty")
        if self.entities is not None:
            if not isinstance(self.entities, frozenset):
                object.__setattr__(self, "entities", frozenset(self.entities))
            if not self.entities:
                problems.append("entities is empty: give None for every type")
        if self.number_patterns is not None and not isinstance(self.number_patterns, Path):
            object.__setattr__(self, "number_patterns", Path(self.number_patterns))
        if problems:
            raise DetectorConfigInvalid(problems)

    @classmethod
    def from_model_setting(cls, model: str, **fields: Any) -> DetectorConfig:
        """A config from one setting value: a spaCy model name, or ``patterns``."""
        if model.strip() == PATTERNS_MODE_SETTING:
            return cls(mode=DetectorMode.PATTERNS, **fields)
        return cls(mode=DetectorMode.SPACY, spacy_model=model.strip(), **fields)

    @property
    def number_patterns_path(self) -> Path:
        """The YAML file of number patterns this config uses."""
        return self.number_patterns or default_number_patterns()

    def describe(self) -> dict[str, Any]:
        """The configuration as plain JSON values, with the versions that change findings."""
        from auditkit.pii.detection.offline import spacy_model_package

        model: dict[str, str] | None = None
        if self.mode == DetectorMode.SPACY:
            package = spacy_model_package(self.spacy_model)
            model = {"name": self.spacy_model}
            if package is not None:
                model["package"], model["version"] = package
        patterns = b""
        if self.recognizers == RecognizerSet.FULL:
            patterns = self.number_patterns_path.read_bytes()
        return {
            "detector_version": DETECTOR_VERSION,
            "mode": str(self.mode),
            "spacy_model": model,
            "score_threshold": self.score_threshold,
            "entities": sorted(self.entities) if self.entities is not None else None,
            "recognizers": str(self.recognizers),
            "number_patterns_sha256": hashlib.sha256(patterns).hexdigest(),
            "presidio_analyzer": metadata.version("presidio-analyzer"),
            "spacy": metadata.version("spacy"),
        }

    def config_hash(self) -> str:
        """SHA-256 (hex) of :meth:`describe` as canonical JSON: equal hashes, equal findings."""
        canonical = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
