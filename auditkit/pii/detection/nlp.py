"""NLP engines for Presidio: spaCy batched with work on demand, and a tokenizer-only engine.

Presidio's ``SpacyNlpEngine`` runs every pipeline component on every message. Of their
output the recognizers read the named entities (``SpacyRecognizer``), and the context
enhancer reads lemmas, but only around a pattern match whose recognizer declares
context words. :class:`BatchedSpacyNlpEngine` gives the same artifacts with less work:

1. ``nlp.pipe`` runs only ``ner`` (which in spaCy's ``en_core_web_*`` pipelines has its
   own embedding layer) and whatever it listens to, in batches.
2. spaCy's NER never lets an entity cross a sentence start set by the parser, and that
   is the only way the parser changes it: a greedy transition system whose unconstrained
   choices never cross a boundary makes the same choices under the constraint. So a
   document whose entities are all one token long is final. A document with a longer
   entity gets the remaining components (tok2vec, tagger, parser, attribute_ruler,
   lemmatizer), in batches; if one of its entities contains a sentence start, the
   document is redone with the full pipeline.
3. Any other document gets the remaining components only when the context enhancer
   first reads its lemmas (the attribute ruler reads the parser's labels, so lemmas
   need the parser too).

The integration test compares the findings with a stock ``AnalyzerEngine`` text by text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable
from typing import Any

import spacy
from presidio_analyzer.nlp_engine import (
    NerModelConfiguration,
    NlpArtifacts,
    NlpEngine,
    SpacyNlpEngine,
)
from spacy.language import Language
from spacy.tokens import Doc, Span

_STAGE = "auditkit_stage"
"""``Doc.user_data`` key: how far past entities a document is annotated (0, 1 or 2)."""
_SENTENCE_SETTERS = frozenset({"parser", "senter", "sentencizer"})

DEFAULT_BATCH_SIZE = 256

Analysed = Generator[tuple[str, NlpArtifacts], Any, None]
"""What ``process_batch`` yields: each text with its artifacts."""


def _blank(text: str) -> bool:
    """Empty or whitespace only: tokens on which spaCy's NER cannot begin an entity."""
    return not text or text.isspace()


def _no_tuples(as_tuples: bool) -> None:
    # Presidio's (text, context) form is not used by auditkit; refuse it loudly.
    if as_tuples:
        raise ValueError("as_tuples is not supported: pass plain texts")


class LemmasNeeded(Exception):
    """Raised when a deferred document's lemmas are read: complete it (batched) and redo."""


class LazyLemmaArtifacts(NlpArtifacts):
    """NLP artifacts that tag and lemmatize their document the first time lemmas are read.

    While ``deferred`` is set, reading the lemmas raises :class:`LemmasNeeded` instead, so
    the caller can tag and lemmatize every document that needs it in one batch and run
    the analysis of those documents again (most documents never need their lemmas).
    """

    deferred = False

    def __init__(
        self,
        *,
        doc: Doc,
        entities: list[Span],
        scores: list[float],
        engine: NlpEngine,
        language: str,
        annotate: Callable[[Doc], Doc],
    ) -> None:
        # NlpArtifacts.__init__ derives keywords from lemmas at once; that is the work
        # this class exists to postpone, so the fields are set here instead.
        self.entities = entities
        self.tokens = doc
        self._tokens_indices: list[int] | None = None
        self.nlp_engine = engine
        self.scores = scores if scores else [0.85] * len(entities)
        self._language = language
        self._annotate = annotate
        self._lemmas: list[str] | None = None
        self._keywords: list[str] | None = None

    @property
    def tokens_indices(self) -> list[int]:
        """Each token's character offset, computed on first use (the context enhancer's)."""
        if self._tokens_indices is None:
            self._tokens_indices = [token.idx for token in self.tokens]
        return self._tokens_indices

    @tokens_indices.setter
    def tokens_indices(self, value: list[int]) -> None:
        self._tokens_indices = value

    @property
    def lemmas(self) -> list[str]:
        """Each token's lemma, computed on first use."""
        if self._lemmas is None:
            if self.deferred:
                raise LemmasNeeded
            self.tokens = self._annotate(self.tokens)
            self._lemmas = [token.lemma_ for token in self.tokens]
        return self._lemmas

    @lemmas.setter
    def lemmas(self, value: list[str]) -> None:
        self._lemmas = value

    @property
    def keywords(self) -> list[str]:
        """Lower-cased lemmas that are neither stop words nor punctuation, as Presidio derives them."""
        if self._keywords is None:
            keywords: list[str] = NlpArtifacts.set_keywords(
                self.nlp_engine, self.lemmas, self._language
            )
            self._keywords = keywords
        return self._keywords

    @keywords.setter
    def keywords(self, value: list[str]) -> None:
        self._keywords = value


def entity_components(nlp: Language) -> tuple[str, ...]:
    """``ner`` and the components it listens to: what must run to decide entities."""
    if "ner" not in nlp.pipe_names:
        return ()
    model: Any = getattr(nlp.get_pipe("ner"), "model", None)
    upstreams: set[str] = set()
    for layer in model.walk() if model is not None else ():
        upstream = getattr(layer, "upstream_name", None)
        if layer.name.endswith("listener") and isinstance(upstream, str):
            upstreams.add(upstream)
    factories = nlp.pipe_factories
    return tuple(
        name
        for name in nlp.pipe_names
        if name == "ner"
        or name in upstreams
        or ("*" in upstreams and factories.get(name) in {"tok2vec", "transformer"})
    )


class BatchedSpacyNlpEngine(SpacyNlpEngine):
    """A spaCy engine over an already loaded pipeline: batched, work on demand, never downloads."""

    def __init__(
        self,
        nlp: Language,
        *,
        language: str = "en",
        ner_model_configuration: NerModelConfiguration | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        super().__init__(
            models=[{"lang_code": language, "model_name": str(nlp.meta.get("name", "spacy"))}],
            ner_model_configuration=ner_model_configuration,
        )
        # Presidio types ``nlp`` after its constructor's None; it is a dict of pipelines.
        self.nlp = {language: nlp}  # type: ignore[assignment]
        self.pipeline = nlp
        self.batch_size = batch_size
        self._eager = entity_components(nlp)
        rest = [(name, nlp.get_pipe(name)) for name in nlp.pipe_names if name not in self._eager]
        # Stage 1 ends with the last component that sets sentence starts (the parser);
        # stage 2 is the rest (attribute ruler, lemmatizer), needed for lemmas only.
        setters = [
            index
            for index, (name, _) in enumerate(rest)
            if nlp.get_pipe_meta(name).factory in _SENTENCE_SETTERS
        ]
        cut = setters[-1] + 1 if setters else 0
        self._stages: tuple[tuple[Any, ...], tuple[Any, ...]] = (
            tuple(pipe for _, pipe in rest[:cut]),
            tuple(pipe for _, pipe in rest[cut:]),
        )
        self._rest = [name for name, _ in rest]

    def load(self) -> None:
        """Nothing to load: the pipeline was loaded (offline) before this engine was built."""

    def _run_stages(self, docs: list[Doc], last: int) -> None:
        """Bring ``docs`` up to stage ``last`` (1: sentences, 2: everything), batched."""
        for stage in range(1, last + 1):
            todo = [doc for doc in docs if doc.user_data.get(_STAGE, 0) < stage]
            for pipe in self._stages[stage - 1]:
                if hasattr(pipe, "pipe"):
                    todo = list(pipe.pipe(todo, batch_size=self.batch_size))
                else:
                    todo = [pipe(doc) for doc in todo]
            for doc in todo:
                doc.user_data[_STAGE] = stage

    def complete(self, artifacts: Iterable[NlpArtifacts]) -> None:
        """Tag and lemmatize the documents of ``artifacts`` now, in one batch."""
        lazy = [item for item in artifacts if isinstance(item, LazyLemmaArtifacts)]
        for item in lazy:
            item.deferred = False
        docs = [item.tokens for item in lazy]
        if docs:
            self._run_stages(docs, 2)

    def _complete(self, doc: Doc) -> Doc:
        """The document with every component's annotations, for its lemmas.

        Documents with longer entities were checked against sentence starts already, and
        no sentence start can split a one-token entity, so the entities stand.
        """
        self._run_stages([doc], 2)
        return doc

    def _checked(self, doc: Doc) -> Doc:
        """``doc``, or the full pipeline's document if an entity crosses a sentence start."""
        for entity in doc.ents:
            if any(doc[index].is_sent_start for index in range(entity.start + 1, entity.end)):
                full = self.pipeline(doc.text)
                full.user_data[_STAGE] = 2
                return full
        return doc

    def _artifacts(self, doc: Doc, language: str) -> LazyLemmaArtifacts:
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return LazyLemmaArtifacts(
            doc=doc,
            entities=entities,
            scores=scores,
            engine=self,
            language=language,
            annotate=self._complete,
        )

    def docs(
        self, texts: Iterable[str], batch_size: int | None = None
    ) -> Generator[Doc, None, None]:
        """Final documents for ``texts``: entities decided, lemmas possibly still to come."""
        size = batch_size or self.batch_size
        pending = iter(texts)
        while chunk := list(itertools.islice(pending, size)):
            # spaCy's NER never begins an entity on a whitespace token, so a blank text's
            # entities are known without the model: none.
            ner = iter(
                self.pipeline.pipe(
                    [text for text in chunk if not _blank(text)],
                    batch_size=size,
                    disable=self._rest,
                )
            )
            docs = [self.pipeline.make_doc(text) if _blank(text) else next(ner) for text in chunk]
            longer = [doc for doc in docs if any(len(entity) > 1 for entity in doc.ents)]
            if longer and self._stages[0]:
                self._run_stages(longer, 1)
                checked = {id(doc): self._checked(doc) for doc in longer}
                docs = [checked.get(id(doc), doc) for doc in docs]
            yield from docs

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Artifacts for one text (a batch of one)."""
        return self._artifacts(next(self.docs([text], 1)), language)

    def process_batch(
        self,
        texts: Iterable[str] | Iterable[tuple[str, object]],
        language: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_process: int = 1,
        as_tuples: bool = False,
        **kwargs: Any,
    ) -> Analysed:
        """Artifacts for many texts through ``nlp.pipe``, as ``(text, artifacts)``."""
        _no_tuples(as_tuples)
        for doc in self.docs((str(text) for text in texts), batch_size):
            yield doc.text, self._artifacts(doc, language)


class TokenizerNlpEngine(NlpEngine):
    """The pattern-only mode's engine: spaCy's rule-based tokenizer, no model, no entities.

    Lemmas are the lower-cased tokens, so recognizers' context words still raise scores
    (Presidio matches context words as substrings: "card" matches "cards").
    """

    def __init__(self, language: str = "en") -> None:
        self.pipeline = spacy.blank(language)
        self.nlp = {language: self.pipeline}

    def load(self) -> None:
        """Nothing to load: a blank pipeline needs no model files."""

    def is_loaded(self) -> bool:
        """Always loaded."""
        return True

    def _artifacts(self, doc: Doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokenize one text."""
        return self._artifacts(self.pipeline.make_doc(text), language)

    def process_batch(
        self,
        texts: Iterable[str] | Iterable[tuple[str, object]],
        language: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_process: int = 1,
        as_tuples: bool = False,
        **kwargs: Any,
    ) -> Analysed:
        """Tokenize many texts, as ``(text, artifacts)``."""
        _no_tuples(as_tuples)
        for text in texts:
            yield str(text), self.process_text(str(text), language)

    def is_stopword(self, word: str, language: str) -> bool:
        """Whether ``word`` is an English stop word."""
        return bool(self.pipeline.vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        """Whether ``word`` is punctuation."""
        return bool(self.pipeline.vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        """None: this engine recognizes no named entities."""
        return []

    def get_supported_languages(self) -> list[str]:
        """The one configured language."""
        return list(self.nlp)
