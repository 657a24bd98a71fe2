"""What AutoQA reads in one message's text: the phrases it looks for, customer sentiment
(VADER), staff spelling and grammar (pyspellchecker plus a few grammar rules) and readability
(Flesch reading ease). Pure and offline: both models are lexicons shipped inside their
packages, loaded once per process. docs/autoqa.md says what each finds and misses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

# --- phrases -------------------------------------------------------------------------------

GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings|welcome)\b"
    r"|\b(?:thanks?|thank you) for (?:contacting|reaching out|getting in touch|calling|"
    r"chatting|messaging|writing)\b|\bhow (?:can|may) i (?:help|assist)\b|\bmy name is\b",
    re.IGNORECASE,
)
CLOSING = re.compile(
    r"\b(?:anything else|something else)\b.*\b(?:help|assist|do)\b"
    r"|\b(?:have|enjoy) a (?:great|good|nice|lovely|wonderful) "
    r"(?:day|evening|weekend|one|night|afternoon|morning)\b"
    r"|\b(?:thanks?|thank you) for (?:contacting|chatting|reaching out|calling|your patience|"
    r"waiting|being a)\b|\btake care\b|\b(?:good)?bye\b|\bglad (?:i|we) could help\b"
    r"|\bfeel free to (?:reach out|contact|message|get back|ask)\b|\bhappy to (?:have )?help(?:ed)?\b"
    r"|\btake it easy\b|\bhave a (?:pleasant|safe|happy) \w+|\b(?:of course, )?any ?time\W*$",
    re.IGNORECASE,
)
APOLOGY = re.compile(
    r"\b(?:sorry|apologi[sz]e|apologies|my bad|regret (?:the|any) inconvenience)\b", re.IGNORECASE
)
EMPATHY = re.compile(
    r"\bi (?:completely |totally |fully )?understand\b|\bi can (?:see|imagine|understand)\b"
    r"|\bthat (?:must|sounds|can be) (?:be )?(?:frustrating|annoying|stressful|difficult|hard)\b"
    r"|\b(?:so |really )?frustrating\b|\bi hear you\b|\bi know how\b"
    r"|\b(?:thanks?|thank you) for (?:your patience|bearing with|understanding)\b"
    r"|\bi(?:'d| would) be (?:happy|glad) to help\b|\bno worries\b|\bi appreciate\b",
    re.IGNORECASE,
)
NEXT_STEPS = re.compile(
    r"\byou(?:'ll| will) (?:receive|get|see|be (?:contacted|notified|refunded|charged|able))\b"
    r"|\bwe(?:'ll| will) (?:send|email|process|refund|ship|call|contact|notify|follow up|"
    r"review|update)\b|\bi(?:'ll| will| have) (?:send|sent|email|process|escalate|follow up|"
    r"raise|create|open|issue|refund|ordered|arranged|escalated|raised|requested)\b|\b(?:reference|ticket|case|tracking|order) "
    r"(?:number|id|#)\b|\bnext step\b|\bfollow[- ]up\b|\bshould (?:arrive|receive|see)\b"
    r"|\bwill be (?:refunded|sent|shipped|delivered|processed|credited|returned|in touch)\b"
    r"|\bthey(?:'ll| will) (?:call|contact|email|get back|give you a call|reach out)\b",
    re.IGNORECASE,
)
_NUMBER = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|a few|couple of|"
    r"twenty[- ]four|forty[- ]eight)"
)
TIMESCALE = re.compile(
    rf"\b(?:within|in|up to|about|next|over the next|less than|under) {_NUMBER}"
    rf"(?:\s*(?:-|to)\s*{_NUMBER})? ?(?:business |working )?"
    r"(?:minutes?|hours?|days?|weeks?|hrs?)\b|\b(?:by|on) (?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|tomorrow|the end of)\b|\b\d+-\d+ (?:business )?days\b",
    re.IGNORECASE,
)
CONFIRMATION_ASK = re.compile(
    r"\b(?:does|did|has|have|is|was|will) (?:that|this|it|everything|the issue|your issue|"
    r"the problem) (?:\w+ )?(?:solve|solved|resolve|resolved|fix|fixed|help|helped|work|"
    r"worked|answer|answered|sorted|clear|cleared)\b"
    r"|\b(?:anything|something|what) else\b|\bany other (?:help|questions?|way|assistance)\b"
    r"|\b(?:further|more) (?:assistance|help)\b|\banything (?:further|more)\b"
    r"|\banything (?:you need|i can)\b"
    r"|\bis (?:everything|it|that) (?:ok|okay|clear|working|sorted)(?: now)?\b",
    re.IGNORECASE,
)
OFFER = re.compile(r"\bif you (?:need|have|want)\b|\bfeel free\b|\blet (?:me|us) know\b", re.I)
ANYTHING_ELSE = re.compile(r"\b(?:anything|something) else\b", re.IGNORECASE)
AFFIRM = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|correct|perfect|great|awesome|excellent|brilliant|"
    r"it (?:does|did|worked|works)|that (?:worked|works|did it|solved it|helps|helped|fixed it|"
    r"is great|'?s great|'?s perfect)|all (?:good|sorted|set)|(?:it'?s|it is) (?:working|fixed|"
    r"sorted)|thanks?|thank you|ty|much appreciated)\b",
    re.IGNORECASE,
)
NOTHING_ELSE = re.compile(
    r"^\W*(?:no|nope|nah|not (?:really|at the moment|(?:right |just )?now)|"
    r"that(?:'?s| is| will be| would be) (?:all|it|everything)|"
    r"nothing(?: else)?|i'?m (?:good|fine|all set)|all (?:good|set))\b",
    re.IGNORECASE,
)
NOT_RESOLVED = re.compile(
    r"\b(?:not (?:really|yet|working|fixed|solved|resolved)|still (?:not|doesn'?t|broken|"
    r"waiting|the same)|didn'?t (?:work|help)|doesn'?t (?:work|help)|no it|not quite)\b",
    re.IGNORECASE,
)
NEW_REQUEST = re.compile(
    r"\b(?:i(?: want| would like|'d like|’d like| need) to|(?:could|can|would) you|please "
    r"(?:help|check|find|tell|make|transfer|send|book|add|change|cancel|show))\b",
    re.IGNORECASE,
)
QUESTION_START = re.compile(
    r"^(?:(?:uh|um|er|so|okay|ok|and|well|alright|right),?\s+)*(?:how|what|why|where|when|which|who|whose|can|could|would|will|is|are|am|do|does|did|"
    r"should|may|have|has|was|were|any chance|is there|are there)\b",
    re.IGNORECASE,
)
SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# What staff ask the customer for, and how the customer's earlier messages show they gave it.
SLOTS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "email": (
        re.compile(r"\b(?:e-?mail)(?: address)?\b", re.IGNORECASE),
        re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    ),
    "order number": (
        re.compile(r"\border (?:number|id|#|no)\b", re.IGNORECASE),
        re.compile(r"(?:#\s?|order\D{0,12})\d{4,}|\b[A-Z]{1,3}-?\d{5,}\b", re.IGNORECASE),
    ),
    "account number": (
        re.compile(r"\baccount (?:number|id|#|no)\b", re.IGNORECASE),
        re.compile(r"\baccount\D{0,15}\d{5,}", re.IGNORECASE),
    ),
    "phone": (
        re.compile(r"\b(?:phone|mobile|cell)(?: number)?\b", re.IGNORECASE),
        re.compile(r"(?:\+?\d[\d ()-]{8,}\d)"),
    ),
    "name": (
        re.compile(r"\b(?:your|full) (?:full )?name\b", re.IGNORECASE),
        re.compile(r"\b(?:my name is|this is|i am|i'm) [A-Za-z]+(?: [A-Za-z]+)?\b", re.IGNORECASE),
    ),
    "card": (
        re.compile(r"\bwhich card\b|\bwhat (?:kind|type) of card\b", re.IGNORECASE),
        re.compile(r"\b(?:credit|debit) card\b", re.IGNORECASE),
    ),
    "zip code": (
        re.compile(r"\b(?:zip|post|postal)(?: ?code)?\b", re.IGNORECASE),
        re.compile(r"\b\d{5}(?:-\d{4})?\b|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE),
    ),
}


DIGIT = re.compile(r"\d")
DIGIT_SLOTS = frozenset({"order number", "account number", "phone", "zip code"})
"""Slots whose value always holds a digit (every alternative of their pattern has ``\\d``):
a message without one cannot give them."""


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (split at . ! ? and line breaks), stripped, none empty."""
    return [s.strip() for s in SENTENCES.findall(text) if s.strip()]


INDIRECT_QUESTION = re.compile(
    r"\b(?:want|like|need) to know\b|\bwondering (?:if|whether|how|what|when|why|where)\b"
    r"|\b(?:can|could) you tell me\b",
    re.IGNORECASE,
)


def questions(text: str) -> list[str]:
    """The sentences of ``text`` that ask something: ending in ``?``, opening like a question,
    or asking indirectly ("I want to know when they expire")."""
    indirect = hinted(INDIRECT_QUESTION, hint_text(text))
    return [
        s
        for s in sentences(text)
        if s.endswith("?")
        or QUESTION_START.match(s)
        or (indirect and INDIRECT_QUESTION.search(s) is not None)
    ]


# --- hints: words without which a phrase pattern cannot match ---------------------------------

# Every match of the pattern holds one of its hints, lower-cased: each alternative of the
# pattern has one as a literal part (read the pattern beside its hints). A character that
# IGNORECASE matches to a hint's character lower-cases to it, but for three (_UNFOLDED), so a
# lower-cased text without those and without any hint cannot match and is not searched.
# tests/unit/autoqa/test_phrase_hints.py checks _UNFOLDED over all of Unicode, and each hint
# list against examples of every alternative and a corpus of real messages.
HINTS: dict[re.Pattern[str], tuple[str, ...]] = {
    APOLOGY: ("sorry", "apolog", "my bad", "regret"),
    EMPATHY: (
        "understand", "i can see", "i can imagine", "that must ", "that sounds ",
        "that can be ", "frustrating", "i hear you", "i know how", "for your patience",
        "for bearing with", "be happy to help", "be glad to help", "no worries", "i appreciate",
    ),
    NEXT_STEPS: (
        "you'll ", "you will ", "we'll ", "we will ", "i'll ", "i will ", "i have ",
        " number", " id", " #", "next step", "follow", "should ", "will be ", "they'll ",
        "they will ",
    ),
    TIMESCALE: ("minute", "hour", "day", "week", "hr", "tomorrow", "the end of"),
    OFFER: ("if you ", "feel free", "let me know", "let us know"),
    CONFIRMATION_ASK: (
        "solve", "fix", "help", "work", "answer", "sorted", "clear", " else", "any other ",
        "assistance", "anything ", "is everything ", "is it ", "is that ",
    ),
    INDIRECT_QUESTION: ("to know", "wondering ", "you tell me"),
    CLOSING: (
        "thing else", "have a ", "enjoy a ", "thank", "take care", "bye", "could help",
        "feel free to ", "happy to ", "take it easy", "anytime", "any time",
    ),
    SLOTS["email"][0]: ("mail",),
    SLOTS["order number"][0]: ("order ",),
    SLOTS["account number"][0]: ("account ",),
    SLOTS["phone"][0]: ("phone", "mobile", "cell"),
    SLOTS["name"][0]: ("name",),
    SLOTS["card"][0]: ("card",),
    SLOTS["zip code"][0]: ("zip", "post"),
    SLOTS["email"][1]: ("@",),
    SLOTS["account number"][1]: ("account",),
    SLOTS["name"][1]: ("my name is ", "this is ", "i am ", "i'm "),
    SLOTS["card"][1]: ("credit card", "debit card"),
}  # fmt: skip


_UNFOLDED = ("\u0130", "\u0131", "\u017f")
"""İ, ı and ſ: IGNORECASE matches them to i and s, but ``str.lower`` does not make them so."""


def hint_text(text: str) -> str | None:
    """``text`` lower-cased (what :func:`hinted` reads), or None when it holds one of the
    characters whose lower case is not the letter IGNORECASE matches them to."""
    if not text.isascii() and any(char in text for char in _UNFOLDED):
        return None
    return text.lower()


def hinted(pattern: re.Pattern[str], lowered: str | None) -> bool:
    """False when ``pattern`` cannot match the text ``lowered`` is of (none of its hints is
    in it); True when it may (also for a pattern without hints, or text that is not ASCII)."""
    hints = HINTS.get(pattern)
    return lowered is None or hints is None or any(hint in lowered for hint in hints)


def phrase_in(pattern: re.Pattern[str], text: str, lowered: str | None) -> bool:
    """``pattern.search(text) is not None``, without the search when the hints rule it out
    (``lowered`` is :func:`hint_text` of ``text``)."""
    return hinted(pattern, lowered) and pattern.search(text) is not None


def content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more, cut to five letters: a crude stem for overlap."""
    return {w.lower()[:5] for w in WORD.findall(text) if len(w) >= 4} - STOP_STEMS


STOP_STEMS = {
    "there", "their", "would", "could", "shoul", "about", "which", "where", "what", "when",
    "that", "this", "with", "have", "from", "your", "they", "them", "then", "than", "will",
    "just", "been", "were", "does", "into", "also", "some", "please", "pleas", "thank",
    "thanks", "hello",
}  # fmt: skip


# --- sentiment (VADER) -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _vader() -> Any:
    # One analyser per process: it only holds its lexicon, read from the package, never changed.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound sentiment of ``text``, -1 (most negative) to 1 (most positive)."""
    return float(_vader().polarity_scores(text)["compound"])


def load_models() -> None:
    """Load VADER's lexicon and the word list now (each process loads them once, on first
    use; a parent that loads them before forking its workers saves each worker the read)."""
    _vader()
    _known_words()


# --- spelling and grammar --------------------------------------------------------------------

# Words of support conversations that the general English frequency list lacks.
_SUPPORT_WORDS = (
    "ok okay email emails e-mail login logins logout signup app apps wifi online offline "
    "checkout username usernames password passwords chatbot bot url urls website "
    "voucher refund refunds refunded unsubscribe inbox reactivate deactivate customise "
    "customize hmm hi hiya thx pls plz asap fyi btw lol covid paypal iphone android ios "
    "otp pin pins sms faq faqs dropdown screenshot screenshots browser cookies"
)
SUPPORT_WORDS = frozenset(_SUPPORT_WORDS.split())


@lru_cache(maxsize=1)
def _known_words() -> Any:
    # One word list per process, read from the package and never changed. Looked up directly:
    # SpellChecker.unknown() first tries float() on every word, a raised error each time.
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency.dictionary


_A_AN = re.compile(r"\b(a|an) ([A-Za-z]+)", re.IGNORECASE)
# Possessive: the word before the space is all the letters from the boundary to it, so giving
# letters back never finds another match (the same matches, without the backtracking).
_DOUBLED = re.compile(r"\b([A-Za-z]++) \1\b", re.IGNORECASE)
_LOWER_I = re.compile(r"(?:^|\s)i(?:\s|'m|'ll|'ve|'d|$)")
_NO_SPACE = re.compile(r"[a-z][,;][A-Za-z]|[a-z]{2}[.!?][A-Z][a-z]")
_PUNCTUATION_THEN_LETTER = re.compile(r"[,;.!?][A-Za-z]")
_MODAL_OF = re.compile(r"\b(?:could|should|would|must|might) of\b", re.IGNORECASE)
_MODAL_OF_HINTS = ("could of", "should of", "would of", "must of", "might of")
_REPEATED_MARK_HINTS = ("!!", "!?", "?!", "??")
_REPEATED_MARK = re.compile(r"[!?]{2,}")
_VOWEL_SOUND_EXCEPTIONS = ("hour", "honest", "honou", "heir")
_CONSONANT_SOUND_EXCEPTIONS = ("uni", "use", "usu", "usa", "eu", "one", "once", "ur")
DOUBLE_OK = {"that", "had", "very", "bye", "so", "no", "ha", "many", "really"}


@dataclass(frozen=True)
class LanguageCheck:
    """One staff message's words, spelling errors (the words) and grammar errors (rule names)."""

    words: int
    spelling: tuple[str, ...]
    grammar: tuple[str, ...]
    sentences: int
    syllables: int


def _may_have_lower_i(text: str) -> bool:
    """False when :data:`_LOWER_I` cannot match: in printable ASCII the only white space is
    " ", so a match is "i" at the start, " i " or " i'" inside, or " i" at the end."""
    if not (text.isascii() and text.isprintable()):
        return True
    return text[:1] == "i" or " i " in text or " i'" in text or text.endswith(" i")


def grammar_errors(text: str, split: list[str] | None = None) -> list[str]:
    """The grammar rules ``text`` breaks (docs/autoqa.md): one name per occurrence.
    ``split`` is ``sentences(text)`` when the caller has it."""
    found: list[str] = []
    lowered = hint_text(text)
    for article, word in _A_AN.findall(text):
        lower = word.lower()
        vowel = lower[0] in "aeiou"
        if lower.startswith(_VOWEL_SOUND_EXCEPTIONS):
            vowel = True
        elif lower.startswith(_CONSONANT_SOUND_EXCEPTIONS):
            vowel = False
        if word.isupper() and len(word) > 1:
            continue  # an abbreviation ("an FAQ", "a URL"): read by letter, not checked
        if (article.lower() == "a") == vowel:
            found.append("a/an")
    for word in _DOUBLED.findall(text):
        if word.lower() not in DOUBLE_OK:
            found.append("doubled word")
    if _may_have_lower_i(text):
        found += ["lower-case i"] * len(_LOWER_I.findall(text))
    if _PUNCTUATION_THEN_LETTER.search(text):  # what both of its alternatives need
        found += ["missing space after punctuation"] * len(_NO_SPACE.findall(text))
    if lowered is None or any(hint in lowered for hint in _MODAL_OF_HINTS):
        found += ["could/should/would of"] * len(_MODAL_OF.findall(text))
    if any(hint in text for hint in _REPEATED_MARK_HINTS):  # two marks in a row, literally
        found += ["repeated ! or ?"] * len(_REPEATED_MARK.findall(text))
    for sentence in sentences(text) if split is None else split:
        first = sentence.lstrip("\"'(“‘-* ")
        if first[:1].islower() and not first.startswith(("http", "www", "e.g", "i.e")):
            found.append("sentence starts in lower case")  # once a message: a habit, not a slip
            break
    return found


_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=65536)  # words repeat: most of a conversation's are counted before
def syllables(word: str) -> int:
    """A word's syllables by vowel groups (a silent final e dropped): the usual Flesch count."""
    lower = word.lower().strip("'’-")
    groups = len(_VOWEL_GROUP.findall(lower))
    if lower.endswith("e") and not lower.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


# Links, e-mail addresses and anything with a digit, to the end of their run of non-space:
# ``\S+@\S+|https?://\S+|www\.\S+|\S*\d\S*`` (tests/unit/autoqa/test_phrase_hints.py
# compares the two). Every match of that pattern runs to the end of its run, and its "@" and
# digit alternatives match from the run's start when they match anywhere in it, so they are
# tried there only (the lookbehind) instead of again from every later character of the run.
_WITHOUT_LINKS = re.compile(r"(?<!\S)(?=\S*\d|\S+@\S)\S+|https?://\S+|www\.\S+")


_Fact = TypeVar("_Fact")


class _WordFacts(dict[str, _Fact]):
    """Word → one fact of it, found on first use (words repeat across texts far more than
    texts do); emptied, not grown, past :data:`_WORDS_KEPT` words."""

    def __init__(self, fact: Callable[[str], _Fact]) -> None:
        super().__init__()
        self.fact = fact

    def __missing__(self, word: str) -> _Fact:
        if len(self) >= _WORDS_KEPT:
            self.clear()
        found = self[word] = self.fact(word)
        return found


_WORDS_KEPT = 1 << 17


def _spelling_error(word: str) -> str:
    """The word as a spelling error (``check_language``'s rule), or "" when it is not one."""
    if not word.islower() or "'" in word or "’" in word:
        return ""
    stripped = word.strip("-")
    if len(stripped) <= 1 or stripped in _known_words() or stripped in SUPPORT_WORDS:
        return ""
    return stripped


_SYLLABLES = _WordFacts(syllables)
_SPELLING = _WordFacts(_spelling_error)


def check_language(text: str) -> LanguageCheck:
    """Spelling and grammar of one staff message, with the counts readability needs.

    Spelling looks at lower-case words only: capitalised words mid-sentence are names or
    products, upper-case ones abbreviations, and links, e-mails and anything with a digit
    are left out. A word is misspelt when the packaged English list does not know it.
    """
    # Only a text with an "@", a link or a digit has anything to take out (the pattern's
    # every alternative needs one): the substitution is most of the check's time otherwise.
    linked = "@" in text or "http" in text or "www." in text or DIGIT.search(text)
    plain = _WITHOUT_LINKS.sub(" ", text) if linked else text
    split = sentences(text)
    words = WORD.findall(plain)
    return LanguageCheck(
        words=len(words),
        spelling=tuple(filter(None, map(_SPELLING.__getitem__, words))),
        grammar=tuple(grammar_errors(text, split)),
        sentences=max(1, len(split if plain is text else sentences(plain))) if words else 0,
        syllables=sum(map(_SYLLABLES.__getitem__, words)),
    )


def flesch_reading_ease(words: int, sentence_count: int, syllable_count: int) -> float | None:
    """Flesch (1948): 206.835 - 1.015 words/sentence - 84.6 syllables/word; None under 10 words."""
    if words < 10 or sentence_count == 0:
        return None
    return 206.835 - 1.015 * (words / sentence_count) - 84.6 * (syllable_count / words)
