"""Street addresses: house number and street, unit, postal code, and text introduced as an address.

Presidio has no address recognizer: spaCy's named entities catch some city and country
names (``LOCATION``) but not the street line a customer types. ``bench/pii_accuracy.py``
measures the difference.
"""

from __future__ import annotations

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPatternRecognizer, pattern

_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl"
    r"|terrace|ter|way|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|crescent|cres"
    r"|close|grove|gardens|row|plaza|loop|pike|turnpike|mews|alley|expressway|freeway|crossing"
    r"|walk|wharf|quay|causeway|bypass)\.?"
)
_HOUSE = r"\d{1,6}[a-z]?(?:[-/]\d{1,4}[a-z]?)?"
_DIRECTION = r"(?:(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\.?\s+)?"
# A street-name word: not a function word, so "3 kids in the park" is no address.
_WORD = (
    r"(?!(?:the|a|an|in|on|at|of|to|for|and|or|my|your|our|is|are|was|were|be|i|you|we|it"
    r"|this|that|with|from|by|as|me|have|has|had|get|got|than|then|more|less|about)\b)"
    r"[^\W_][\w'’.-]*"
)
_UNIT = r"(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|#)\.?\s*#?\s*[\w-]{1,6}\b)?"
_CITY_STATE_ZIP = (
    r"(?:,?\s+(?:[^\W\d_][\w'.-]*\s+){0,3}?[^\W\d_][\w'.-]*,?\s+[a-z]{2}\.?\s+\d{5}(?:-\d{4})?\b)?"
)
_EU_STREET = (
    r"(?!(?:during|spring|string|bring|offering|hearing|bearing|ring|gate|way)\b)"
    r"[^\W\d_][\w'’-]*(?:straat|strasse|straße|str\.|gasse|weg|laan|plein|gracht|kade|dijk|allee"
    r"|platz|ring|damm|ufer|gata|gatan|vägen|vej|veien|gate|katu|tie|utca|útja|ulica|ul\."
    r"|gränd|stigen|kuja|polku|tori|gade|plads|stræde|vænget|vei|vegur|singel|steeg)"
)
_ROMANCE_STREET = (
    r"(?:rue|avenue|av\.|boulevard|bd\.?|chemin|impasse|via|viale|piazza|corso|calle|avenida"
    r"|plaza|paseo|rua|travessa|largo|praça)"
)
_INTRO = (
    r"\b(?:(?:my|our|the|his|her|their|new|billing|shipping|delivery|home|mailing|postal|street)\s+)*"
    r"address(?:es)?(?:\s+(?:is|was|to|of|for|with|at|on file))*\s*[:\-]?\s*(?:is\s+|it\s+is\s+|it's\s+)?"
    r"|\b(?:lives?|living|lived|located|situated|staying|reside|resides)\s+(?:at|on|in)\s+"
    r"|\b(?:ship|send|deliver|mail|return|post|forward|shipped|sent|delivered|mailed|posted"
    r"|forwarded)(?:\s+(?:it|them|this|that|everything|the\s+\w+))?\s+to\s+"
    r"|\bmoved\s+to\s+"
)
# Where an introduced address ends: sentence punctuation, a blank line, or a clause.
_INTRO_END = (
    r"(?=\s*(?:[?!;]|\.(?:\s|$)|$|\n\s*\n|\s(?:for|in\s+case|and\s+i|but|if|because|so\s+that"
    r"|thanks|thank\s+you|please|asap|instead|as\s+soon)\b))"
)


class StreetAddressRecognizer(GroupPatternRecognizer):
    """Finds street lines (US and European styles), units, postal codes and introduced addresses."""

    PATTERNS = (
        pattern(
            "house number and street",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.,/-])(?:{_HOUSE}\s+)?{_HOUSE}\s+{_DIRECTION}(?:{_WORD}\s+){{0,3}}?"
            rf"(?:\d{{1,3}}(?:st|nd|rd|th)\s+)?{_SUFFIX}(?!\w){_UNIT}{_CITY_STATE_ZIP}",
            0.7,
        ),
        pattern(
            "street and house number",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w-])(?:{_WORD}\s+)?{_EU_STREET}\s+{_HOUSE}\b\.?",
            0.65,
        ),
        pattern(
            "number and romance street",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.,/-])(?:{_HOUSE}\s+)?{_HOUSE},?\s+{_ROMANCE_STREET}\s+"
            rf"(?:(?:de|du|des|la|le|les|di|del|della|da|do|dos|das)\s+)?(?:{_WORD}\s*){{1,3}}",
            0.65,
        ),
        pattern(
            "unit",
            EntityType.STREET_ADDRESS,
            r"\b(?:apt|apartment|suite|ste|unit)\.?\s*#?\s*\d{1,5}[a-z]?\b",
            0.5,
        ),
        pattern(
            "postal code",
            EntityType.STREET_ADDRESS,
            r"\b(?:zip|zip\s*code|postal\s*code|post\s*code|postcode)(?:\s*(?:is|:|#))*\s*"
            r"(?P<value>\d{5}(?:-\d{4})?|[a-z]\d[a-z]\s?\d[a-z]\d|[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2})\b",
            0.75,
        ),
        pattern(
            "introduced address",
            EntityType.STREET_ADDRESS,
            rf"(?:{_INTRO})(?P<value>(?:{_HOUSE},?\s+){{1,2}}[^\W\d_][^?!;]{{2,120}}?){_INTRO_END}",
            0.75,
        ),
        pattern(
            "introduced street, number last",
            EntityType.STREET_ADDRESS,
            rf"(?:{_INTRO})(?P<value>(?:{_WORD}\s+){{0,3}}[^\W\d_][\w'’.-]*,?\s+{_HOUSE}\b\.?"
            rf"(?:[ \t]*,[ \t]*[^\W\d_][^?!;\n]{{1,60}}?)?){_INTRO_END}",
            0.7,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="StreetAddressRecognizer")
