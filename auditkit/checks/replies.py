"""Recognising a customer's short yes or no to a confirmation, wherever the word falls.

Rules name ``replies: affirmations`` or ``replies: negations`` in a matcher to use these
lists (docs/policies.md, "Affirmations and negations"). A reply is cut into clauses at
``. , ; : ! ?`` and dashes, and its first :data:`REPLY_WINDOW` words are read, each clause
normalised as phrases are (lower case, apostrophes dropped):

1. idioms that hold a negative word but agree ("no problem", "why not") count as a yes;
2. a clause that *starts* with a negation or a hold ("no", "wait", "hold on",
   "actually", "cancel", "not yet" …, after fillers such as "but", "um", "oh"), or a
   hesitation anywhere ("not sure", "changed my mind"), makes the reply a negation, even
   after a yes ("yes, but wait" takes the yes back);
3. otherwise a clause that starts with an affirmation ("yes", "sure", "go ahead",
   "that's correct" …, after fillers such as "okay", "great", "please", "then") makes it
   an affirmation, first clause or not ("Great, thank you! Yes, go ahead"); a clause
   that is a question ("can you confirm the price first?") never affirms;
4. anything else is neither (a question back, a change of request). A "no" later in a
   clause ("Yes, I don't need anything else") is not a refusal.
"""

from __future__ import annotations

import re
from enum import StrEnum

from auditkit.checks.wording import normalise

REPLY_WINDOW = 12
"""How many leading words of a reply are read; a yes buried later in a long message is not
an answer to the confirmation."""

AFFIRMATIONS: tuple[str, ...] = (
    "yes",
    "yeah",
    "yea",
    "yep",
    "yup",
    "aye",
    "sure",
    "ok",
    "okay",
    "okey",
    "alright",
    "all right",
    "correct",
    "right",
    "confirm",
    "confirmed",
    "i confirm",
    "affirmative",
    "absolutely",
    "definitely",
    "certainly",
    "of course",
    "go ahead",
    "go for it",
    "please do",
    "do it",
    "proceed",
    "please proceed",
    "sounds good",
    "sounds great",
    "sounds perfect",
    "perfect",
    "fine",
    "agreed",
    "i agree",
    "that works",
    "thats fine",
    "that is fine",
    "thats ok",
    "thats okay",
    "thats right",
    "thats correct",
    "that is right",
    "that is correct",
    "exactly",
)
"""Words and phrases that say yes to a confirmation (whole words of normalised text)."""

NEGATIONS: tuple[str, ...] = (
    "no",
    "nope",
    "nah",
    "not",
    "not yet",
    "not now",
    "dont",
    "do not",
    "never",
    "wait",
    "hold on",
    "hang on",
    "stop",
    "cancel",
    "actually",
    "never mind",
    "nevermind",
    "let me think",
    "negative",
)
"""Words and phrases that refuse or hold back a confirmation when they open a clause."""

HESITATIONS: tuple[str, ...] = (
    "not sure",
    "im not sure",
    "rather not",
    "changed my mind",
    "change my mind",
    "dont do",
    "do not do",
    "dont proceed",
    "do not proceed",
)
"""Phrases that hold back a confirmation wherever they are in the reply."""

FILLERS: tuple[str, ...] = (
    "but",
    "and",
    "so",
    "well",
    "oh",
    "ah",
    "um",
    "uh",
    "hmm",
    "hm",
    "then",
    "please",
    "great",
    "thanks",
    "thank you",
    "hi",
    "hello",
)
"""Words skipped at the start of a clause before looking for a yes or a no."""

AGREEING_IDIOMS: tuple[str, ...] = (
    "no problem",
    "no problems",
    "no worries",
    "not a problem",
    "why not",
    "no doubt",
    "dont worry",
    "cant wait",
)
"""Phrases with a negative word in them that agree; taken out before negations are sought."""


class Reply(StrEnum):
    """What a short reply to a confirmation says."""

    AFFIRMATIONS = "affirmations"
    NEGATIONS = "negations"


def _starting(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    fillers = "|".join(re.escape(f) for f in sorted(FILLERS, key=len, reverse=True))
    return re.compile(
        rf"^(?:(?:{fillers}) )*(?:" + "|".join(re.escape(p) for p in ordered) + r")\b"
    )


def _anywhere(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b")


_AFFIRM = _starting(AFFIRMATIONS)
_NEGATE = _starting(NEGATIONS)
_HESITATE = _anywhere(HESITATIONS)
_IDIOMS = _anywhere(AGREEING_IDIOMS)
_CLAUSE = re.compile(r"([^.,;:!?\u2014\u2013]*)([.,;:!?\u2014\u2013]*)")


def reply_kind(text: str) -> Reply | None:
    """Whether a reply (as written, punctuation and all) affirms, negates, or neither."""
    clauses: list[tuple[str, bool]] = []
    words = 0
    for match in _CLAUSE.finditer(text):
        clause = normalise(match.group(1))
        if not clause:
            continue
        clauses.append((clause, "?" in match.group(2)))
        words += len(clause.split())
        if words >= REPLY_WINDOW:
            break
    affirmed = False
    for clause, question in clauses:
        if _IDIOMS.search(clause):
            affirmed = affirmed or not question
            clause = _IDIOMS.sub(" ", clause).strip()
        if _HESITATE.search(clause) or _NEGATE.search(clause):
            return Reply.NEGATIONS
        if not question and _AFFIRM.search(clause):
            affirmed = True
    return Reply.AFFIRMATIONS if affirmed else None
