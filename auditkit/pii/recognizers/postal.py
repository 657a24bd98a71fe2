"""Postcodes, military and multi-line postal addresses, and street corners.

Beside :mod:`auditkit.pii.recognizers.addresses` (a street line and an introduced
address), this finds the parts of an address a customer gives without a cue, as
``STREET_ADDRESS``:

* UK postcodes ("SW9 8QT", "sw9 8qt", "BS14DJ"; lower case only with the space);
* Portuguese postcodes ("1200-195");
* a US state and ZIP after a comma or line break (", CO 64677"), and APO/FPO/DPO lines;
* military addresses ("PSC 1437, Box 3833", "USNS Bergman");
* European streets written number last ("Koskikatu 25", "ul. Słowicza 10", "Rua Igreja 25")
  after a house or postal number;
* "the corner of A and B";
* a written address block: a line that starts with a house number (or PSC/USNS) and the
  short lines under it (unit, town, region, country and postcode), up to five, stopping
  at contact lines ("Mobile: …", e-mails, web addresses).
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import (
    GroupPattern,
    GroupPatternRecognizer,
    pattern,
    text_result,
)
from auditkit.pii.recognizers.vocabulary import NOT_NAMES

BLOCK_SCORE = 0.6
US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
    "PR",
    "AA",
    "AE",
    "AP",
]
_CAP = r"(?:[A-Z]|[À-ÖØ-Þ]|[Ā-ž]|[Ά-Ϋ]|[Ѐ-Я])[\w'’.-]*"
_MONTHS = (
    r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april"
    r"|june|july|august|september|october|november|december|mon|tue|wed|thu|fri|sat|sun"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
_STREET_TYPES = (
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?"
    r"|Court|Ct\.?|Place|Pl\.?|Crescent|Terrace|Parkway|Pkwy\.?|Highway|Hwy\.?|Turnpike"
    r"|Pike|Trail|Mews|Alley|Plaza|Loop|Circle|Cir\.?|Square|Sq\.?|Way)"
)
"""Words that end a street's name (capitalised, after the name)."""
_SUFFIXES = (
    r"(?:Alley|Bend|Bluffs?|Branch|Bridge|Brooks?|Burgs?|Bypass|Camp|Canyon|Cape|Causeway"
    r"|Centers?|Circles?|Cliffs?|Club|Commons?|Corners?|Course|Courts|Coves?|Creek|Crest"
    r"|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drives|Estates?|Expressway|Extensions?|Falls"
    r"|Ferry|Fields|Flats?|Fords|Forest|Forges?|Forks?|Fort|Freeway|Gardens|Gateway|Glens?"
    r"|Greens|Groves?|Harbors?|Haven|Heights|Hills|Hollow|Inlet|Island|Islands|Isle|Junctions?"
    r"|Keys?|Knolls?|Lakes?|Landing|Lights?|Loaf|Locks?|Lodge|Manors?|Meadows?|Mill|Mills"
    r"|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parks|Passage|Pass|Path"
    r"|Pines|Plains?|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Route"
    r"|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares|Station|Stravenue|Stream|Streets"
    r"|Summit|Terrace|Throughway|Trace|Track|Trafficway|Tunnel|Underpass|Valleys?"
    r"|Viaduct|Views?|Villages?|Ville|Vista|Walks?|Ways|Wells?)"
)
"""Street suffixes of the USPS list (Publication 28, C1) that are no common street word
above ("Union" is left out: "the Treaty on European Union"); only after "on", "at",
"along" … do they make a street ("on Marina Fort")."""
_TYPE_WORDS = (
    r"(?i:strada|str\.|contrada|borgo|vicolo|corso|piazzale|viale|piazza|via|largo|località"
    r"|chemin|allée|impasse|boulevard|bd\.?|quai|place|route|cours|passage|rue|avenue|av\."
    r"|plac|aleja|al\.|osiedle|os\.|ulica|ul\.|aleea|calea|bulevardul|carrer|avinguda|passeig"
    r"|camino|callejón|callejon|carretera|paseo|plaza|ronda|travesía|urbanización|glorieta"
    r"|acceso|retorno|viaducto|cerrada|privada|andador|circuito|prolongación|calzada|alameda"
    r"|calle|avenida|praça|rodovia|estrada|travessa|vila|viela|ladeira|loteamento|passarela"
    r"|pátio|esplanada|jardim|residencial|setor|trecho|quadra|vereda|rua|rúa|náměstí|nám\."
    r"|třída|nábřeží|odos|leoforos|plateia|sokak|sokağı|caddesi|cad\.|bulvarı|soseaua|șoseaua"
    r"|drumul|splaiul|intrarea|piața|piata|bulevardul|condomínio|condominio|vial|diagonal"
    r"|corredor|boulevard)"
)
"""Words that name a street's type before its name, in the languages of Europe and the
Americas ("Borgo Cristina, 44", "plac Kopernika 91", "Avenida Teodosio Robledo 11"), from
the street-type lists of the postal formats (UPU) and Faker's locale address providers."""
_TYPE_WORDS_AFTER = (
    r"(?i:utca|út|útja|tér|köz|körút|sor|fasor|ulica|ulice|cesta|trg|ulitsa|prospekt|straße"
    r"|strasse|str\.|weg|gasse|allee|platz|ring|damm|vej|gade|allé|gata|gatan|vägen|gränd"
    r"|katu|tie|kuja|polku|tori|straat|laan|plein|singel|gracht|kade|dijk|pad|steeg|sokak"
    r"|caddesi|odos)"
)
"""Street-type words written after the street's name ("Miskolci utca 159.", "Jarčeva
ulica 3c", "Berliner Straße 5")."""
_PARTICLE = r"(?i:de|du|des|la|le|les|di|del|della|da|do|dos|das|von|van|der|den|z|ze|na|u)"

_LINE_PREFIX = re.compile(r"^[\s>?*•|-]*")
_STREET_LINE = re.compile(
    r"^(?:\d{1,6}[a-z]?\s+(?:\d{1,5}[a-z]?\s+)?[^\W\d_]|(?:PSC|CMR|USNS|USNV|USS|USCGC)\s)"
)
_CONTACT = re.compile(
    r"^(?:mobile|cell|desk|phone|tel|telephone|fax|e-?mail|website|web|office|name|dob|born"
    r"|date|account|card|iban)\b|@|https?:|www\.",
    re.IGNORECASE,
)


_TYPE_PATTERNS = frozenset(
    {
        "street word first",
        "street type word and house number",
        "street name, type word and house number",
    }
)


class PostalAddressRecognizer(GroupPatternRecognizer):
    """Postcodes, military addresses, number-last streets, corners and address blocks."""

    PATTERNS = (
        pattern(
            "UK postcode",
            EntityType.STREET_ADDRESS,
            r"(?<![\w-])(?:(?i:[a-z]{1,2}\d[a-z\d]?\s+\d[a-z]{2})|[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2})(?![\w-])",
            0.6,
            flags=0,
        ),
        pattern(
            "Portuguese postcode",
            EntityType.STREET_ADDRESS,
            r"(?<![\w.,/+-])[1-9]\d{3}-\d{3}(?![\w-]|[.,/]\d)",
            0.5,
        ),
        pattern(
            "state and ZIP",
            EntityType.STREET_ADDRESS,
            rf"(?:,|\n)\s*(?P<value>(?:(?:APO|FPO|DPO)\s+)?(?:{'|'.join(US_STATES)})\.?\s+\d{{5}}(?:-\d{{4}})?)\b",
            0.6,
            flags=0,
        ),
        pattern(
            "military address",
            EntityType.STREET_ADDRESS,
            r"\b(?:(?i:(?:PSC|CMR|Unit)\s+\d{3,5},?\s+Box\s+\d{2,5})|(?:USNS|USNV|USS|USCGC)\s+"
            + _CAP
            + r")(?:\s*\n?\s*(?i:(?:APO|FPO|DPO)\s+A[AEP])\s+\d{5})?",
            0.6,
            flags=0,
        ),
        pattern(
            "number-last street",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.,/-])\d{{1,6}}\s+(?P<value>(?!{_MONTHS}\b)(?:ul\.\s+)?{_CAP}(?:[ \t]+[^\W\d_][\w'’.-]*){{0,2}}[ \t]+\d{{1,4}}[a-z]?\b\.?)",
            0.6,
            flags=0,
        ),
        pattern(
            "street word first",
            EntityType.STREET_ADDRESS,
            r"(?<!\w)(?:ul\.|rua|rúa|via|calle|rue|avenida|viale|piazza|largo|travessa|avenue)\s+"
            r"(?:(?:de|du|des|la|le|di|del|da|do|dos)\s+)?(?:[^\W\d_][\w'’.-]*\s+){1,3}\d{1,4}[a-z]?\b",
            0.6,
        ),
        pattern(
            "street type word and house number",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.-])(?:{_CAP}[ \t]+){{0,2}}(?P<type>{_TYPE_WORDS})[ \t]+"
            rf"(?:{_PARTICLE}[ \t]+){{0,2}}(?:{_CAP}[ \t]+(?:{_PARTICLE}[ \t]+)?){{0,3}}"
            rf"{_CAP},?[ \t]+(?:(?i:nr|no|n)\.?[ \t]*)?\d{{1,5}}[a-z]?(?:/\d{{1,4}}[a-z]?)?\b\.?",
            0.6,
            flags=0,
        ),
        pattern(
            "street name, type word and house number",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.-])(?:{_CAP}[ \t]+){{0,2}}{_CAP}[ \t]+(?P<type>{_TYPE_WORDS_AFTER}),?[ \t]+"
            rf"\d{{1,5}}[a-z]?(?:/\d{{1,4}}[a-z]?)?\b\.?",
            0.6,
            flags=0,
        ),
        pattern(
            "house number and USPS street",
            EntityType.STREET_ADDRESS,
            rf"(?<![\w.,/-])\d{{1,6}}[a-z]?[ \t]+(?!{_MONTHS}\b)(?:{_CAP}[ \t]+){{0,2}}{_CAP}[ \t]+{_SUFFIXES}(?![\w'’-])",
            0.55,
            flags=0,
        ),
        pattern(
            "street corner",
            EntityType.STREET_ADDRESS,
            r"\bthe\s+corner\s+of\s+(?:[^\n,.?!]|\.(?=[ \t]+(?:and|&)\b)){2,60}?\s+(?:and|&)\s+[^\W\d_][^\n,?!]{1,40}?(?=\s*(?:[.,?!]|$|\n))",
            0.65,
        ),
        pattern(
            "named street",
            EntityType.STREET_ADDRESS,
            rf"\b(?i:on|at|along|off|near|onto|into|down|up|from|to|in|of|via)[ \t]+(?:the[ \t]+)?"
            rf"(?P<value>{_CAP}(?:[ \t]+{_CAP}){{0,2}}[ \t]+{_STREET_TYPES})(?![\w'’-])",
            0.55,
            flags=0,
        ),
        pattern(
            "named street (suffix)",
            EntityType.STREET_ADDRESS,
            rf"\b(?i:on|at|along|off|near|onto)[ \t]+(?P<value>{_CAP}(?:[ \t]+{_CAP})?[ \t]+{_SUFFIXES})(?![\w'’-])",
            0.5,
            flags=0,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="PostalAddressRecognizer")

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """Refuse "order ID 12345"-like state codes, "the Same Way", and years read as streets."""
        if pattern.name in _TYPE_PATTERNS:  # "via Email 3 times" is no street
            return not any(w.lower() in NOT_NAMES for w in value.split()[1:-1])
        if pattern.name.startswith("named street"):
            words = value.split()
            return not any(w.lower() in STOP_WORDS for w in words[:-1])
        if pattern.name == "state and ZIP":
            return value[:2] not in {"ID", "IN", "OR", "OK", "ME"} or bool(
                re.search(r"[A-Za-z]\s*\n?\s*,?\s*$", text[max(0, start - 20) : start])
            )
        return True

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """The patterns' findings and every address block."""
        results = super().analyze(text, entities, nlp_artifacts)
        if entities and EntityType.STREET_ADDRESS not in entities:
            return results
        if "\n" in text:
            results.extend(self._blocks(text))
        return results

    def _blocks(self, text: str) -> list[RecognizerResult]:
        lines: list[tuple[int, int, str]] = []
        at = 0
        for raw in text.split("\n"):
            lead = len(_LINE_PREFIX.match(raw).group())  # type: ignore[union-attr]
            body = raw[lead:].rstrip()
            lines.append((at + lead, at + lead + len(body), body))
            at += len(raw) + 1
        found = []
        index = 0
        while index < len(lines):
            start, end, body = lines[index]
            if not _STREET_LINE.match(body):
                index += 1
                continue
            last = index
            cursor = index + 1
            blanks = 0
            while cursor < len(lines) and cursor - index <= 5:
                _, line_end, line = lines[cursor]
                if not line:
                    blanks += 1
                    if blanks > 1:
                        break
                    cursor += 1
                    continue
                if (
                    len(line) > 48
                    or _CONTACT.search(line)
                    or ":" in line
                    or sum(ch.isdigit() for ch in line) >= 7  # a phone line
                ):
                    break
                last = cursor
                end = line_end
                cursor += 1
            if last > index:
                found.append(self._block(start, end))
            index = max(last, index) + 1
        return found

    def _block(self, start: int, end: int) -> RecognizerResult:
        return text_result(
            self, EntityType.STREET_ADDRESS, start, end, BLOCK_SCORE, "address block"
        )
