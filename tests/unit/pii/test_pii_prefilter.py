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


def _example_numbers() -> list[str]:
    """Every region's example number of every type, in every format libphonenumber writes."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType
    from phonenumbers.phonenumberutil import SUPPORTED_REGIONS

    types = [value for name, value in vars(PhoneNumberType).items() if name.isupper()]
    formats = [
        PhoneNumberFormat.E164,
        PhoneNumberFormat.INTERNATIONAL,
        PhoneNumberFormat.NATIONAL,
        PhoneNumberFormat.RFC3966,
    ]
    written = set()
    for region in sorted(SUPPORTED_REGIONS):
        for kind in types:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                written.update(phonenumbers.format_number(number, f) for f in formats)
    return sorted(written)


def test_the_phone_digit_floor_keeps_every_valid_number() -> None:
    """The four-digit floor is libphonenumber's shortest national number, and no phone the
    stock recognizer finds in any region's example numbers is ruled out by it."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from auditkit.pii.detection.prefilter import min_phone_digits

    assert min_phone_digits() == 4
    phone = PhoneRecognizer()
    probe = probe_for(phone)
    checked = 0
    for number in _example_numbers():
        text = f"you can call me on {number} today"
        if phone.analyze(text, phone.supported_entities, None):
            checked += 1
            assert probe(text, None), number
    assert checked > 500  # the stock regions' numbers (US, GB, DE, FR, IL, IN, CA, BR) at least


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("3 to 5 working days", False),
        ("order 12, ref 345", False),
        ("order 12 x 345", True),  # " x " joins digit blocks (an extension mark)
        ("call 0171 2", True),
        ("+1 (2)-34", True),
        ("١٢٣٤", True),  # Arabic-Indic digits are digits to libphonenumber too
        ("12X34", True),  # "x" joins digit blocks, in either case
    ],
)
def test_texts_without_four_joined_digits_skip_the_phone_recognizer(text: str, kept: bool) -> None:
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    phone = PhoneRecognizer()
    assert bool(probe_for(phone)(text, None)) is kept
    if not kept:
        assert phone.analyze(text, phone.supported_entities, None) == []
