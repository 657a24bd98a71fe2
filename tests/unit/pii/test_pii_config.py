"""Detector configuration: defaults, validation of every field at once, and the config hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.pii.detection.config import (
    DETECTOR_VERSION,
    DetectorConfig,
    DetectorMode,
    RecognizerSet,
    default_number_patterns,
)
from auditkit.pii.errors import DetectorConfigInvalid


def test_the_defaults_use_the_small_english_model_and_every_recognizer() -> None:
    config = DetectorConfig()
    assert config.mode == DetectorMode.SPACY
    assert config.spacy_model == "en_core_web_sm"
    assert config.recognizers == RecognizerSet.FULL
    assert config.entities is None
    assert config.number_patterns_path == default_number_patterns()
    assert default_number_patterns().is_file()


@pytest.mark.parametrize(
    ("setting", "mode", "model"),
    [
        ("patterns", DetectorMode.PATTERNS, "en_core_web_sm"),
        ("en_core_web_sm", DetectorMode.SPACY, "en_core_web_sm"),
        (" en_core_web_lg ", DetectorMode.SPACY, "en_core_web_lg"),
    ],
)
def test_one_setting_names_a_spacy_model_or_the_pattern_mode(
    setting: str, mode: DetectorMode, model: str
) -> None:
    config = DetectorConfig.from_model_setting(setting)
    assert (config.mode, config.spacy_model) == (mode, model)


def test_plain_strings_become_enums() -> None:
    config = DetectorConfig(mode="patterns", recognizers="stock", entities={"PERSON"})  # type: ignore[arg-type]
    assert config.mode is DetectorMode.PATTERNS
    assert config.recognizers is RecognizerSet.STOCK
    assert config.entities == frozenset({"PERSON"})


def test_every_invalid_field_is_reported_together() -> None:
    with pytest.raises(DetectorConfigInvalid) as refused:
        DetectorConfig(
            mode="regex",  # type: ignore[arg-type]
            recognizers="some",  # type: ignore[arg-type]
            score_threshold=1.5,
            entities=frozenset(),
        )
    assert len(refused.value.problems) == 4
    assert "mode 'regex' is not one of spacy, patterns" in refused.value.problems


def test_the_hash_is_stable_and_names_the_detector_version() -> None:
    config = DetectorConfig()
    assert config.config_hash() == DetectorConfig().config_hash()
    assert len(config.config_hash()) == 64
    assert config.describe()["detector_version"] == DETECTOR_VERSION
    assert config.describe()["spacy_model"]["version"]


@pytest.mark.parametrize(
    "changed",
    [
        DetectorConfig(score_threshold=0.5),
        DetectorConfig(mode=DetectorMode.PATTERNS),
        DetectorConfig(entities=frozenset({"PERSON"})),
        DetectorConfig(recognizers=RecognizerSet.STOCK),
    ],
)
def test_any_change_that_changes_findings_changes_the_hash(changed: DetectorConfig) -> None:
    assert changed.config_hash() != DetectorConfig().config_hash()


def test_editing_the_pattern_file_changes_the_hash(tmp_path: Path) -> None:
    copy = tmp_path / "patterns.yaml"
    copy.write_bytes(default_number_patterns().read_bytes())
    before = DetectorConfig(number_patterns=copy).config_hash()
    assert before == DetectorConfig().config_hash()  # same content, same findings
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("score: 0.85", "score: 0.8"), encoding="utf-8"
    )
    assert DetectorConfig(number_patterns=copy).config_hash() != before
