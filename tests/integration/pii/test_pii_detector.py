"""The detector end to end with real Presidio and spaCy: stock-identical, offline, batched."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii import (
    Detector,
    DetectorConfig,
    DetectorConfigInvalid,
    DetectorMode,
    RecognizerSet,
    build_detector,
    redact,
)
from auditkit.pii.detection.nlp import BatchedSpacyNlpEngine
from auditkit.pii.detection.offline import (
    install_offline_tldextract,
    offline_tld_extract,
    spacy_model_package,
)
from auditkit.pii.detection.registry import stock_ner_configuration
from auditkit.pii.findings import Finding, finding_from_result

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"


def corpus() -> list[str]:
    """Every test text: generator sentences, hand-written chat lines, ABCD turns."""
    synth = json.loads(
        (DATA / "pii" / "presidio_synth" / "generated_small.json").read_text("utf-8")
    )
    chat = (DATA / "pii" / "chat_messages.txt").read_text("utf-8").splitlines()
    abcd = json.loads((DATA / "abcd" / "abcd_sample.json").read_text("utf-8"))
    return (
        [item["full_text"] for item in synth]
        + [line.replace("\\n", "\n") for line in chat]
        + [text for chat_ in abcd for speaker, text in chat_["original"] if speaker != "action"]
    )


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network access is blocked in this test")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(DetectorConfig())


@pytest.fixture(scope="module")
def stock_analyzer() -> AnalyzerEngine:
    """A stock AnalyzerEngine as Presidio builds it by default, on the same spaCy model."""
    install_offline_tldextract()
    package = spacy_model_package("en_core_web_sm")
    assert package is not None
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": package[0]}],
            "ner_model_configuration": stock_ner_configuration().model_dump(),
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine())


def test_the_stock_set_finds_exactly_what_stock_presidio_finds(
    stock_analyzer: AnalyzerEngine,
) -> None:
    texts = corpus()
    expected = [
        sorted(finding_from_result(r) for r in stock_analyzer.analyze(t, language="en"))
        for t in texts
    ]
    fast = build_detector(
        DetectorConfig(recognizers=RecognizerSet.STOCK, score_threshold=0.0),
        batch_size=16,
        cache_size=0,
    )
    got = fast.detect_batch(texts)
    differences = [(t, e, g) for t, e, g in zip(texts, expected, got, strict=True) if e != g]
    assert differences == []
    assert sum(map(len, got)) > 100


def test_blank_texts_skip_the_model_and_keep_their_places(
    stock_analyzer: AnalyzerEngine,
) -> None:
    texts = ["", "Call Jane Doe on 212-555-0123", "   ", "\n\t", "She moved to Paris in 2019"]
    expected = [
        sorted(finding_from_result(r) for r in stock_analyzer.analyze(t, language="en"))
        for t in texts
    ]
    fast = build_detector(
        DetectorConfig(recognizers=RecognizerSet.STOCK, score_threshold=0.0), cache_size=0
    )
    assert fast.detect_batch(texts) == expected
    assert [bool(found) for found in expected] == [False, True, False, False, True]
    engine = fast.nlp_engine
    assert isinstance(engine, BatchedSpacyNlpEngine)
    assert [doc.text for doc in engine.docs(texts)] == texts


def test_a_batch_finds_what_one_text_at_a_time_finds(detector: Detector) -> None:
    texts = corpus()[:60]
    uncached = build_detector(DetectorConfig(), cache_size=0)
    assert uncached.detect_batch(texts) == [uncached.detect(text) for text in texts]
    assert detector.detect_batch(texts) == uncached.detect_batch(texts)
    assert detector.detect_batch(texts) == uncached.detect_batch(texts)  # from the cache


def test_findings_hold_positions_not_values(detector: Detector) -> None:
    text = "My card 4111 1111 1111 1111, email jane@example.org"
    findings = detector.detect(text)
    assert {f.entity_type for f in findings} >= {"CREDIT_CARD", "EMAIL_ADDRESS"}
    for finding in findings:
        assert set(finding.as_dict()) == {"entity_type", "start", "end", "score", "recognizer"}
        assert "4111" not in json.dumps(finding.as_dict())
    assert redact(text, findings) == "My card [CREDIT_CARD], email [EMAIL]"


def test_participants_are_found_and_beat_the_model(detector: Detector) -> None:
    customer = LedgerParticipant(
        id="c", role="customer", name="Alessandro Phoenix", phone="(727) 760-7806"
    )
    texts = ["Alessandro Phoenix", "thanks alessandro", "call 727 760 7806"]
    found = detector.detect_batch(texts, [customer])
    assert [
        [(f.entity_type, t[f.start : f.end]) for f in fs]
        for t, fs in zip(texts, found, strict=True)
    ] == [
        [("PERSON", "Alessandro Phoenix")],
        [("PERSON", "alessandro")],
        [("PHONE_NUMBER", "727 760 7806")],
    ]
    assert all(
        f.recognizer == "ParticipantRecognizer"
        for fs in found
        for f in fs
        if f.entity_type == "PERSON"
    )
    # Without participants the cached text findings are unchanged.
    assert detector.detect("thanks alessandro") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my password is Sunshine2024!", [("PASSWORD", "Sunshine2024")]),
        ("the code is 481516", [("ONE_TIME_CODE", "481516")]),
        ("card ending in 4242", [("PARTIAL_CARD_NUMBER", "4242")]),
        (
            "ship to 710 Sunset Drive, Phoenix, AZ 85034",
            [("STREET_ADDRESS", "710 Sunset Drive, Phoenix, AZ 85034")],
        ),
        ("It took 7 days", []),
    ],
)
def test_the_full_detector_finds_support_chat_data(
    detector: Detector, text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(f.entity_type, text[f.start : f.end]) for f in detector.detect(text)] == expected


def test_detection_builds_and_runs_with_the_network_blocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts = block_network(monkeypatch)
    offline_tld_extract.cache_clear()
    fresh = build_detector(DetectorConfig(), cache_size=0)
    text = "Mail jane.doe@example.co.uk or visit https://example.org, call (212) 555-0199"
    kinds = {f.entity_type for f in fresh.detect(text)}
    assert {"EMAIL_ADDRESS", "URL", "PHONE_NUMBER"} <= kinds
    assert attempts == []


def test_the_pattern_mode_needs_no_spacy_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pattern-only mode must not load a spaCy model")

    monkeypatch.setattr(spacy, "load", no_model)
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    attempts = block_network(monkeypatch)
    patterns = build_detector(DetectorConfig(mode=DetectorMode.PATTERNS))
    text = "I'm Dr. Chen, card 4111 1111 1111 1111, password is hunter2, mail a@example.org"
    kinds = {f.entity_type for f in patterns.detect(text)}
    assert {"PERSON", "CREDIT_CARD", "PASSWORD", "EMAIL_ADDRESS"} <= kinds
    assert not {"LOCATION", "NRP"} & patterns.entity_types
    assert attempts == []


def test_asking_for_some_types_finds_only_those(detector: Detector) -> None:
    only = build_detector(DetectorConfig(entities=frozenset({"EMAIL_ADDRESS"})))
    text = "John Smith, jane@example.org, 4111 1111 1111 1111"
    assert [f.entity_type for f in only.detect(text)] == ["EMAIL_ADDRESS"]
    assert {"PERSON", "CREDIT_CARD"} <= {f.entity_type for f in detector.detect(text)}


def test_an_unknown_entity_type_is_refused() -> None:
    with pytest.raises(DetectorConfigInvalid, match="NO_SUCH_TYPE"):
        build_detector(DetectorConfig(entities=frozenset({"NO_SUCH_TYPE"})))


def test_a_detector_names_its_version_and_configuration(detector: Detector) -> None:
    assert detector.version.startswith("auditkit-pii/")
    assert detector.config_hash == DetectorConfig().config_hash()
    assert all(isinstance(f, Finding) for f in detector.detect("John Smith"))
