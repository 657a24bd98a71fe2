"""A recognizer the prefilter rules out for a text really finds nothing in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.pii.detection.config import DetectorConfig, DetectorMode
from auditkit.pii.detection.nlp import TokenizerNlpEngine
from auditkit.pii.detection.prefilter import probe_for
from auditkit.pii.detection.registry import build_registry

DATA = Path(__file__).resolve().parents[2] / "data" / "pii"


def texts() -> list[str]:
    synth = json.loads(
        (DATA / "presidio_synth" / "generated_small.json").read_text(encoding="utf-8")
    )
    chat = (DATA / "chat_messages.txt").read_text(encoding="utf-8").splitlines()
    extra = [
        "",
        "ok",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "3FZbgi29cpjq2GjdwV8eyHuJJnkLtktZc5",
    ]
    return (
        [item["full_text"] for item in synth] + [line.replace("\\n", "\n") for line in chat] + extra
    )


REGISTRY = build_registry(DetectorConfig(mode=DetectorMode.PATTERNS), TokenizerNlpEngine())


@pytest.mark.parametrize("recognizer", REGISTRY.recognizers, ids=lambda r: r.name)
def test_a_ruled_out_recognizer_finds_nothing(recognizer: object) -> None:
    probe = probe_for(recognizer)  # type: ignore[arg-type]
    engine = TokenizerNlpEngine()
    for text in texts():
        artifacts = engine.process_text(text, "en")
        if not probe(text, artifacts):
            results = recognizer.analyze(text, recognizer.supported_entities, artifacts)  # type: ignore[attr-defined]
            assert [r for r in results if r.score > 0] == [], text
