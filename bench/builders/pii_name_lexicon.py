"""Build ``auditkit/pii/data/names.txt.gz``: given names and surnames the name recognizer knows.

Source: the US Census Bureau's 1990 name frequency files (``dist.male.first``,
``dist.female.first``, ``dist.all.last``; a US government work in the public domain), as
shipped inside the MIT-licensed PyPI sdist ``names==0.3.0`` (pass its ``names/`` folder).
Words that are ordinary English in support chat are removed: a word is dropped when it
is written in lower case, mid-sentence, at least ``--min-lower`` times and in at least
half of its occurrences across the customer utterances of BANKING77, NatCS and SGD
(``../shared/data``; none of them is PII-labelled, so nothing here is tuned on the
labelled sets). The output is sorted, one ``kind<TAB>name`` per line (``first``/``last``),
lower case, gzip-compressed with a fixed mtime so the same inputs write the same bytes.

    python bench/builders/pii_name_lexicon.py /tmp/names-0.3.0/names
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "auditkit" / "pii" / "data" / "names.txt.gz"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def utterances(data: Path) -> Iterator[str]:
    """Every customer utterance of the unlabelled chat corpora."""
    for name in ("train.csv", "test.csv"):
        with (data / "banking77" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield row["text"]
    for path in sorted((data / "natcs_dstc11").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)["utterance"]
    for path in sorted((data / "sgd_banking" / "train").glob("dialogues_*.json")):
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            for turn in dialogue["turns"]:
                yield turn["utterance"]


def english_words(data: Path, min_lower: int) -> set[str]:
    """Words written in lower case mid-sentence often enough to be ordinary vocabulary."""
    lower: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text in utterances(data):
        for number, match in enumerate(WORD.finditer(text)):
            word = match.group()
            key = word.lower()
            total[key] += 1
            if number > 0 and word == key:
                lower[key] += 1
    return {w for w, n in lower.items() if n >= min_lower and 2 * n >= total[w]}


def census(path: Path) -> list[str]:
    """The names of one census file, most frequent first."""
    return [line.split()[0].lower() for line in path.read_text().splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the lexicon and say how many names of each kind it kept."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("census", type=Path, help="folder with the dist.* files")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--min-lower", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    common = english_words(args.data, args.min_lower)
    first = set(census(args.census / "dist.male.first")) | set(
        census(args.census / "dist.female.first")
    )
    last = set(census(args.census / "dist.all.last"))
    rows = sorted(
        {("first", n) for n in first if n not in common and len(n) > 1}
        | {("last", n) for n in last if n not in common and len(n) > 1}
    )
    body = "".join(f"{kind}\t{name}\n" for kind, name in rows).encode("utf-8")
    with args.out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(body)
    kept = Counter(kind for kind, _ in rows)
    print(
        f"{args.out}: {kept['first']} given names, {kept['last']} surnames; dropped "
        f"{len(first) + len(last) - len(rows)} common words"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
