"""The recognizer registry a detector's engine is given: Presidio's defaults plus auditkit's."""

from __future__ import annotations

from importlib import resources

import yaml
from presidio_analyzer import RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer, UkNinoRecognizer
from presidio_analyzer.recognizer_registry import RecognizerRegistryProvider

from auditkit.pii.detection.config import DetectorConfig, DetectorMode, RecognizerSet
from auditkit.pii.detection.offline import OfflineEmailRecognizer
from auditkit.pii.recognizers import (
    ChatPhoneRecognizer,
    CountryRecognizer,
    NameLexiconRecognizer,
    PaymentCardRecognizer,
    PersonContextRecognizer,
    PostalAddressRecognizer,
    SecretRecognizer,
    StreetAddressRecognizer,
    load_number_patterns,
    number_recognizers,
)
from auditkit.pii.recognizers.base import LANGUAGE
from auditkit.pii.recognizers.dates import CalendarDateRecognizer
from auditkit.pii.recognizers.gazetteer import CuedPlaceRecognizer, PlaceGazetteerRecognizer


def stock_ner_configuration() -> NerModelConfiguration:
    """The NER label mapping a stock ``AnalyzerEngine()`` uses (Presidio's conf/default.yaml)."""
    conf = resources.files("presidio_analyzer") / "conf" / "default.yaml"
    document = yaml.safe_load(conf.read_text(encoding="utf-8"))
    return NerModelConfiguration.from_dict(document["ner_model_configuration"])


def stock_registry(nlp_engine: NlpEngine | None) -> RecognizerRegistry:
    """Presidio's default English recognizers, as a stock engine loads them, made offline.

    The email recognizer is swapped in place for :class:`OfflineEmailRecognizer` (same
    name and patterns); the spaCy recognizer is added when ``nlp_engine`` runs spaCy.
    """
    provider = RecognizerRegistryProvider(
        registry_configuration={"supported_languages": [LANGUAGE]}
    )
    registry = provider.create_recognizer_registry()
    registry.recognizers = [
        OfflineEmailRecognizer() if isinstance(recognizer, EmailRecognizer) else recognizer
        for recognizer in registry.recognizers
    ]
    if nlp_engine is not None:
        registry.add_nlp_recognizer(nlp_engine=nlp_engine)
    return registry


def build_registry(config: DetectorConfig, nlp_engine: NlpEngine) -> RecognizerRegistry:
    """The registry for ``config``: stock recognizers, then auditkit's (unless stock-only)."""
    registry = stock_registry(nlp_engine if config.mode == DetectorMode.SPACY else None)
    if config.recognizers == RecognizerSet.FULL:
        registry.add_recognizer(SecretRecognizer())
        registry.add_recognizer(StreetAddressRecognizer())
        registry.add_recognizer(PersonContextRecognizer())
        registry.add_recognizer(ChatPhoneRecognizer())
        registry.add_recognizer(PostalAddressRecognizer())
        registry.add_recognizer(PaymentCardRecognizer())
        registry.add_recognizer(NameLexiconRecognizer())
        registry.add_recognizer(CalendarDateRecognizer())
        registry.add_recognizer(UkNinoRecognizer())  # Presidio's, not in its English defaults
        if config.mode == DetectorMode.SPACY:
            registry.add_recognizer(CountryRecognizer())
            registry.add_recognizer(PlaceGazetteerRecognizer())
            registry.add_recognizer(CuedPlaceRecognizer())
        for recognizer in number_recognizers(load_number_patterns(config.number_patterns_path)):
            registry.add_recognizer(recognizer)
    return registry
