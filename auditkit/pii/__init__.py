"""Personal data in support chat: detection (Presidio, offline), redaction, restricted data.

Build a detector once per process and run it over one conversation's messages at a time::

    detector = build_detector(DetectorConfig())          # or DetectorConfig(mode="patterns")
    findings = detector.detect_batch(texts, participants)
    shown = [redact(text, found) for text, found in zip(texts, findings)]

See docs/pii.md for the entity types of each mode, configuration and accuracy.
"""

from auditkit.pii.detection.config import (
    DETECTOR_VERSION,
    DetectorConfig,
    DetectorMode,
    RecognizerSet,
)
from auditkit.pii.detection.detector import Detector, build_detector
from auditkit.pii.entities import EntityType
from auditkit.pii.errors import DetectorConfigInvalid, ModelNotInstalled, PatternFileInvalid
from auditkit.pii.findings import Finding
from auditkit.pii.redaction import redact
from auditkit.pii.restricted import (
    RestrictedFinding,
    RestrictedKind,
    ScannedMessage,
    classify_restricted,
)

__all__ = [
    "DETECTOR_VERSION",
    "Detector",
    "DetectorConfig",
    "DetectorConfigInvalid",
    "DetectorMode",
    "EntityType",
    "Finding",
    "ModelNotInstalled",
    "PatternFileInvalid",
    "RecognizerSet",
    "RestrictedFinding",
    "RestrictedKind",
    "ScannedMessage",
    "build_detector",
    "classify_restricted",
    "redact",
]
