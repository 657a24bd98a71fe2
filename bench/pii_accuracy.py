"""Precision and recall of auditkit's PII detector beside stock Presidio, per entity type.

Two labelled sets (from ``../shared/data`` beside the repository, or ``--synth``/``--abcd``):

* ``presidio_synth/generated_small.json``: 100 sentences from the Presidio team's
  generator with labelled spans;
* ``abcd/abcd_sample.json``: ABCD chats; labels are derived from each chat's
  ``scenario`` (the customer's true name, email, phone, username, order id and address):
  every case-insensitive occurrence of those values in a customer or agent turn is a
  labelled span. The conversation's customer is passed to auditkit as a participant
  (name, email, phone), as ``auditkit scan`` does for an imported ABCD file.

Matching: a predicted span counts when it overlaps a labelled span of a compatible
type; a labelled span is found when some compatible prediction overlaps it (partial
overlap counts, as the labels split addresses into fragments). Types are mapped to
common names (``TYPE_MAP``): the generator's ``DOMAIN_NAME`` is ``URL``, auditkit's
``STREET_ADDRESS`` is ``ADDRESS``; ``ADDRESS`` and ``LOCATION`` are compatible with each
other (a whole address covers its labelled city; spaCy's LOCATION on a street counts
for stock). Labels of types neither detector targets (``ORGANIZATION``, ``TITLE``) are
not scored. Every prediction counts for precision: a type no label uses (``NRP`` …) is
listed as ``(unlabelled types)``.

Stock Presidio is ``AnalyzerEngine`` with its default recognizers and NER settings
(conf/default.yaml) on the same spaCy model, score threshold 0 (its default); auditkit
is ``build_detector()`` with its defaults, and the pattern-only mode.

    python bench/pii_accuracy.py
    python bench/pii_accuracy.py --synth tests/data/pii/presidio_synth/generated_small.json \
        --abcd tests/data/abcd/abcd_sample.json          # the copies in the repository
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.detection.config import DetectorConfig, DetectorMode
from auditkit.pii.detection.detector import build_detector
from auditkit.pii.detection.offline import install_offline_tldextract, spacy_model_package
from auditkit.pii.detection.registry import stock_ner_configuration

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

TYPE_MAP = {
    "DOMAIN_NAME": "URL",
    "STREET_ADDRESS": "ADDRESS",
    "ZIP_CODE": "ADDRESS",
    "GPE": "LOCATION",
}
"""Entity names on either side → the common name they are scored under."""

UNSCORED_LABELS = frozenset({"ORGANIZATION", "TITLE", "AGE"})
COMPATIBLE = {("ADDRESS", "LOCATION"), ("LOCATION", "ADDRESS")}


def category(entity_type: str) -> str:
    """The common name an entity type is scored under."""
    return TYPE_MAP.get(entity_type, entity_type)


def compatible(predicted: str, labelled: str) -> bool:
    """Whether a prediction of one common type may find a label of another."""
    return predicted == labelled or (predicted, labelled) in COMPATIBLE


@dataclass(frozen=True)
class Span:
    """A typed character range of one text."""

    start: int
    end: int
    kind: str

    def overlaps(self, other: Span) -> bool:
        """Whether the two ranges share a character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Example:
    """One labelled text, with the participants of its conversation (if any)."""

    text: str
    gold: tuple[Span, ...]
    participants: tuple[LedgerParticipant, ...] = ()
    group: str = ""
    unit: str = ""
    """What the held-out split is decided on (a generator template, an ABCD chat)."""


HELD_OUT_TENTHS = 4
"""Of ten split units, about this many are held out (never looked at while tuning)."""


def held_out(unit: str) -> bool:
    """Whether a split unit is in the held-out part: SHA-256 of ``unit``, first 32 bits mod 10.

    Presidio generator sentences are split by template (``"<file>:template:<id>"``), so a
    held-out sentence's wording was never seen while tuning, only its kind of entity;
    ABCD by chat (``"abcd:<convo_id>"``), so a held-out customer was never seen.
    """
    return int(hashlib.sha256(unit.encode("utf-8")).hexdigest()[:8], 16) % 10 < HELD_OUT_TENTHS


SPLITS = ("held-out", "tuning", "all")


def split(examples: Sequence[Example], part: str) -> list[Example]:
    """The examples of one part: ``held-out``, ``tuning`` or ``all``."""
    if part == "all":
        return list(examples)
    keep = part == "held-out"
    return [example for example in examples if held_out(example.unit) == keep]


def load_presidio_synth(path: Path) -> list[Example]:
    """The generator's sentences and their labelled spans (end exclusive)."""
    examples = []
    for number, item in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        template = item.get("template_id")
        unit = (
            f"{path.name}:template:{template}" if template is not None else f"{path.name}:{number}"
        )
        gold = tuple(
            Span(span["start_position"], span["end_position"], category(span["entity_type"]))
            for span in item["spans"]
            if span["entity_type"] not in UNSCORED_LABELS
        )
        examples.append(Example(text=item["full_text"], gold=gold, unit=unit))
    return examples


# Scenario values to label, longest-first so a username inside an email is not labelled twice.
_ABCD_VALUES = (
    ("personal", "email", "EMAIL_ADDRESS"),
    ("order", "full_address", "ADDRESS"),
    ("order", "street_address", "ADDRESS"),
    ("personal", "phone", "PHONE_NUMBER"),
    ("order", "order_id", "ORDER_NUMBER"),
    ("personal", "customer_name", "PERSON"),
    ("personal", "username", "USERNAME"),
    ("order", "city", "ADDRESS"),
    ("order", "zip_code", "ADDRESS"),
)


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]


def abcd_labels(text: str, scenario: dict[str, dict[str, str]]) -> tuple[Span, ...]:
    """Spans of ``text`` holding the scenario's personal values (names also by part)."""
    spans: list[Span] = []

    def add(start: int, end: int, kind: str) -> None:
        candidate = Span(start, end, kind)
        if not any(candidate.overlaps(span) for span in spans):
            spans.append(candidate)

    for section, key, kind in _ABCD_VALUES:
        value = str(scenario.get(section, {}).get(key) or "").strip()
        if not value:
            continue
        for start, end in _occurrences(text, value):
            add(start, end, kind)
        if key == "customer_name":
            for part in value.split():
                if len(part) > 1:
                    for start, end in _occurrences(text, part):
                        add(start, end, kind)
    return tuple(sorted(spans, key=lambda span: span.start))


def load_abcd(path: Path) -> list[Example]:
    """Each customer and agent turn of the ABCD chats, labelled from the scenario."""
    examples = []
    for chat in json.loads(path.read_text(encoding="utf-8")):
        scenario = chat["scenario"]
        personal = scenario.get("personal", {})
        customer = LedgerParticipant(
            id=f"abcd-customer-{chat['convo_id']}",
            role="customer",
            name=personal.get("customer_name") or None,
            email=personal.get("email") or None,
            phone=personal.get("phone") or None,
        )
        for speaker, text in chat["original"]:
            if speaker == "action":
                continue
            examples.append(
                Example(
                    text=text,
                    gold=abcd_labels(text, scenario),
                    participants=(customer,),
                    group=str(chat["convo_id"]),
                    unit=f"abcd:{chat['convo_id']}",
                )
            )
    return examples


@dataclass
class Tally:
    """Counts for one common type: labels, labels found, predictions, correct predictions."""

    labels: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0

    def add(self, other: Tally) -> None:
        """Accumulate another tally."""
        self.labels += other.labels
        self.found += other.found
        self.predicted += other.predicted
        self.correct += other.correct

    @property
    def precision(self) -> float | None:
        """Correct predictions / predictions."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        """Labels found / labels."""
        return self.found / self.labels if self.labels else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall (0 when either is 0)."""
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    """Tallies per common type, plus the whole."""

    by_type: dict[str, Tally] = field(default_factory=dict)

    def tally(self, kind: str) -> Tally:
        """The tally of one type (created empty)."""
        return self.by_type.setdefault(kind, Tally())

    def overall(self) -> Tally:
        """All types together (micro average)."""
        total = Tally()
        for tally in self.by_type.values():
            total.add(tally)
        return total


def score(examples: Sequence[Example], predictions: Sequence[Sequence[Span]]) -> Scores:
    """Overlap-based matching of predictions against labels, per common type."""
    scores = Scores()
    labelled_kinds = {span.kind for example in examples for span in example.gold}
    for example, predicted in zip(examples, predictions, strict=True):
        for gold in example.gold:
            tally = scores.tally(gold.kind)
            tally.labels += 1
            if any(compatible(p.kind, gold.kind) and p.overlaps(gold) for p in predicted):
                tally.found += 1
        for p in predicted:
            kind = p.kind if p.kind in labelled_kinds else "(unlabelled types)"
            tally = scores.tally(kind)
            tally.predicted += 1
            if any(compatible(p.kind, gold.kind) and p.overlaps(gold) for gold in example.gold):
                tally.correct += 1
    return scores


Predictor = Callable[[Sequence[Example]], list[list[Span]]]


def stock_predictor(model_package: str) -> Predictor:
    """Stock Presidio: default recognizers and NER settings, one ``analyze`` per text."""
    install_offline_tldextract()  # the stock EmailRecognizer must not fetch the suffix list
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model_package}],
            "ner_model_configuration": stock_ner_configuration().model_dump(),
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine())

    def predict(examples: Sequence[Example]) -> list[list[Span]]:
        return [
            [
                Span(r.start, r.end, category(r.entity_type))
                for r in analyzer.analyze(example.text, language="en")
            ]
            for example in examples
        ]

    return predict


def auditkit_predictor(config: DetectorConfig, *, participants: bool = True) -> Predictor:
    """auditkit's detector; each conversation's texts in one batch with its participants."""
    detector = build_detector(config)

    def predict(examples: Sequence[Example]) -> list[list[Span]]:
        out: list[list[Span]] = []
        start = 0
        while start < len(examples):
            end = start
            while end < len(examples) and examples[end].group == examples[start].group:
                end += 1
            group = examples[start:end]
            found = detector.detect_batch(
                [example.text for example in group],
                list(group[0].participants) if participants else None,
            )
            out.extend([Span(f.start, f.end, category(f.entity_type)) for f in fs] for fs in found)
            start = end
        return out

    return predict


def _cell(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"


def print_table(title: str, columns: dict[str, Scores]) -> None:
    """One row per common type: labels, then precision/recall/F1 of each detector."""
    names = list(columns)
    kinds = sorted(
        {kind for scores in columns.values() for kind in scores.by_type},
        key=lambda kind: (kind == "(unlabelled types)", kind),
    )
    print(f"\n## {title}\n")
    header = f"| {'type':<20} | labels | " + " | ".join(f"{name:^23}" for name in names) + " |"
    sub = (
        f"| {'':<20} |        | "
        + " | ".join(f"{'P':>5}  {'R':>5}  {'F1':>5}  {'n':>3}" for _ in names)
        + " |"
    )
    print(header)
    print(sub)
    print("|" + "-" * 22 + "|--------|" + "|".join("-" * 25 for _ in names) + "|")
    rows = [
        (kind, {name: columns[name].by_type.get(kind, Tally()) for name in names}) for kind in kinds
    ]
    rows.append(("OVERALL (micro)", {name: columns[name].overall() for name in names}))
    for kind, tallies in rows:
        labels = max(tally.labels for tally in tallies.values())
        cells = " | ".join(
            f"{_cell(t.precision)}  {_cell(t.recall)}  {_cell(t.f1)}  {t.predicted:>3}"
            for t in tallies.values()
        )
        print(f"| {kind:<20} | {labels:>6} | {cells} |")


NOT_IDENTIFYING = frozenset({"DATE_TIME", "NRP"})
"""Scored types that do not identify a person by themselves (the issue's targets leave them out)."""

TARGET_RECALL = 0.90
TARGET_F1 = 0.85
TARGET_TYPES = ("PERSON", "ADDRESS", "CREDIT_CARD")
"""Types that must each reach ``TARGET_RECALL`` on their own."""


def identifying(scores: Scores) -> Tally:
    """Every type but ``NOT_IDENTIFYING`` together (micro), predictions of other types included."""
    total = Tally()
    for kind, tally in scores.by_type.items():
        if kind not in NOT_IDENTIFYING:
            total.add(tally)
    return total


def check_targets(scores: Scores) -> list[str]:
    """The issue's targets on one column: recall ≥ 0.90 and F1 ≥ 0.85 over the identifying
    types, recall ≥ 0.90 on names, addresses and cards each."""
    misses = []
    person = identifying(scores)
    if (person.recall or 0.0) < TARGET_RECALL:
        misses.append(f"identifying types: recall {person.recall or 0:.3f} < {TARGET_RECALL}")
    if (person.f1 or 0.0) < TARGET_F1:
        misses.append(f"identifying types: F1 {person.f1 or 0:.3f} < {TARGET_F1}")
    for kind in TARGET_TYPES:
        tally = scores.by_type.get(kind)
        if tally is not None and tally.labels and (tally.recall or 0.0) < TARGET_RECALL:
            misses.append(f"{kind}: recall {tally.recall or 0:.3f} < {TARGET_RECALL}")
    return misses


def figures(scores: Scores) -> dict[str, object]:
    """One column as JSON: labels, P/R/F1 per type, over the identifying types, and overall."""

    def row(tally: Tally) -> dict[str, object]:
        return {
            "labels": tally.labels,
            "predicted": tally.predicted,
            "precision": None if tally.precision is None else round(tally.precision, 4),
            "recall": None if tally.recall is None else round(tally.recall, 4),
            "f1": None if tally.f1 is None else round(tally.f1, 4),
        }

    return {
        "by_type": {kind: row(tally) for kind, tally in sorted(scores.by_type.items())},
        "identifying": row(identifying(scores)),
        "overall": row(scores.overall()),
    }


def ratios(now: dict[str, object], before: dict[str, object]) -> dict[str, float | None]:
    """Recall and F1 over the identifying types, now ÷ before."""
    out: dict[str, float | None] = {}
    a, b = now["identifying"], before["identifying"]
    assert isinstance(a, dict) and isinstance(b, dict)
    for key in ("precision", "recall", "f1"):
        out[key] = round(a[key] / b[key], 3) if a.get(key) and b.get(key) else None
    return out


def evaluate(
    sets: dict[str, list[Example]], predictors: dict[str, Predictor]
) -> dict[str, dict[str, Scores]]:
    """Scores per set (and for all sets together) per predictor."""
    results: dict[str, dict[str, Scores]] = {}
    combined: dict[str, Scores] = {name: Scores() for name in predictors}
    for title, examples in sets.items():
        columns: dict[str, Scores] = {}
        for name, predict in predictors.items():
            began = time.perf_counter()
            columns[name] = score(examples, predict(examples))
            elapsed = time.perf_counter() - began
            print(f"{title}: {name}: {len(examples)} texts in {elapsed:.2f}s", file=sys.stderr)
            for kind, tally in columns[name].by_type.items():
                combined[name].tally(kind).add(tally)
        results[f"{title} ({len(examples)} texts)"] = columns
    results[ALL_SETS] = combined
    return results


ALL_SETS = "all sets together"
BEFORE = ROOT / "bench" / "pii_accuracy_before.json"


def load_sets(args: argparse.Namespace) -> dict[str, list[Example]]:
    """Every labelled set, cut to the part asked for."""
    sets = {
        "presidio_synth/synth_dataset_v2.json": load_presidio_synth(args.synth_v2),
        "presidio_synth/generated_small.json": load_presidio_synth(args.synth),
        "ABCD (labels from scenario)": load_abcd(args.abcd),
    }
    return {title: split(examples, args.split) for title, examples in sets.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the detectors on the chosen part of every set, print the tables and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--synth-v2",
        type=Path,
        default=ROOT / "tests" / "data" / "pii" / "presidio_synth" / "synth_dataset_v2.json",
        help="Presidio generator's 1,500 sentences (synth_dataset_v2.json)",
    )
    parser.add_argument(
        "--synth",
        type=Path,
        default=DEFAULT_DATA / "presidio_synth" / "generated_small.json",
        help="Presidio generator sentences (generated_small.json)",
    )
    parser.add_argument(
        "--abcd",
        type=Path,
        default=DEFAULT_DATA / "abcd" / "abcd_sample.json",
        help="ABCD chats with scenarios",
    )
    parser.add_argument("--split", choices=SPLITS, default="held-out", help="which part to score")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy model for both detectors")
    parser.add_argument(
        "--before", type=Path, default=BEFORE, help="auditkit's figures before the change (JSON)"
    )
    parser.add_argument(
        "--write-before", action="store_true", help="write this run's auditkit figures to --before"
    )
    args = parser.parse_args(argv)

    sets = load_sets(args)
    package = spacy_model_package(args.model)
    if package is None:
        print(f"spaCy model {args.model} is not installed", file=sys.stderr)
        return 2
    predictors: dict[str, Predictor] = {
        "stock Presidio": stock_predictor(package[0]),
        "auditkit": auditkit_predictor(DetectorConfig(spacy_model=args.model)),
        "auditkit patterns": auditkit_predictor(DetectorConfig(mode=DetectorMode.PATTERNS)),
    }
    print(f"spaCy model {args.model} ({package[0]} {package[1]}); split {args.split}")
    results = evaluate(sets, predictors)
    for title, columns in results.items():
        print_table(title, columns)
    together = results[ALL_SETS]
    now = {name: figures(scores) for name, scores in together.items()}
    key = f"{args.split}:{args.model}"
    if args.write_before:
        stored = json.loads(args.before.read_text(encoding="utf-8")) if args.before.exists() else {}
        stored[key] = now["auditkit"]
        args.before.write_text(
            json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
    before = (
        json.loads(args.before.read_text(encoding="utf-8")).get(key)
        if args.before.exists()
        else None
    )
    print(f"\n## {ALL_SETS}, identifying types (all but {', '.join(sorted(NOT_IDENTIFYING))})\n")
    for name, column in now.items():
        row = column["identifying"]
        assert isinstance(row, dict)
        print(f"  {name:<18} P {row['precision']}  R {row['recall']}  F1 {row['f1']}")
    ratio = ratios(now["auditkit"], before) if before else None
    if before:
        row = before["identifying"]
        print(
            f"  {'before (' + args.before.name + ')':<18} P {row['precision']}  R {row['recall']}  F1 {row['f1']}"
        )
        print(f"  auditkit ÷ before: {ratio}")
    misses = check_targets(together["auditkit"])
    counts = Counter(span.kind for examples in sets.values() for e in examples for span in e.gold)
    print("\nlabels per type:", dict(sorted(counts.items())))
    print("\ntargets missed:\n  " + "\n  ".join(misses) if misses else "\ntargets met")
    print(
        json.dumps(
            {
                "split": args.split,
                "model": args.model,
                "texts": {title: len(examples) for title, examples in sets.items()},
                "auditkit": now["auditkit"]["identifying"],
                "stock": now["stock Presidio"]["identifying"],
                "patterns": now["auditkit patterns"]["identifying"],
                "before": before["identifying"] if before else None,
                "ratio_vs_before": ratio,
                "by_type": now["auditkit"]["by_type"],
                "targets_missed": misses,
            }
        )
    )
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
