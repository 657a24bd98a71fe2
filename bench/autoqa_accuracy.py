"""AutoQA's phrase signals against SGD's annotated dialogue acts, tuning files and held-out
files apart.

Reads ``../shared/data/sgd_banking/train`` (or ``--sgd DIR``). The patterns were tuned on
``dialogues_032``, ``039``, ``040``, ``064`` and ``065``; ``096`` to ``099`` are held out and
nothing was tuned on them. Per part and signal it prints precision and recall against:

- closing: a system turn with a GOODBYE act;
- outcome check: a system turn with a REQ_MORE act ("anything else?");
- confirmation: the user's turn right after REQ_MORE, with NEGATE, THANK_YOU or GOODBYE and
  no new INFORM_INTENT or REQUEST (the customer says they are done);
- question: a user turn with a REQUEST act (recall only is meaningful: SGD marks questions
  that ask for an action as INFORM_INTENT, so "precision" there counts those as errors).

The last line is one JSON object of the figures. Nothing is asserted.

    python bench/autoqa_accuracy.py
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from auditkit.autoqa import language

ROOT = Path(__file__).resolve().parents[1]
TUNING = ("dialogues_032", "dialogues_039", "dialogues_040", "dialogues_064", "dialogues_065")
HELD_OUT = ("dialogues_096", "dialogues_097", "dialogues_098", "dialogues_099")
SIGNALS = ("closing", "outcome check", "confirmation", "question")


def acts(turn: dict[str, object]) -> set[str]:
    """Every act of a turn, over all its frames."""
    return {a["act"] for f in turn["frames"] for a in f["actions"]}  # type: ignore[attr-defined,index]


def confirms(text: str) -> bool:
    """The customer's reply confirms they are done (the rule ``resolution_confirmed`` uses)."""
    said = bool(language.AFFIRM.search(text) or language.NOTHING_ELSE.search(text))
    return said and not language.NOT_RESOLVED.search(text) and not language.NEW_REQUEST.search(text)


def score(paths: list[Path]) -> Counter[tuple[str, bool, bool]]:
    """(signal, gold, predicted) counts over the dialogues of ``paths``."""
    counts: Counter[tuple[str, bool, bool]] = Counter()
    for path in paths:
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            turns = dialogue["turns"]
            for index, turn in enumerate(turns):
                found, text = acts(turn), turn["utterance"]
                if turn["speaker"] == "SYSTEM":
                    asked = language.questions(text) + [
                        s for s in language.sentences(text) if language.OFFER.search(s)
                    ]
                    counts["closing", "GOODBYE" in found, bool(language.CLOSING.search(text))] += 1
                    check = any(language.CONFIRMATION_ASK.search(s) for s in asked)
                    counts["outcome check", "REQ_MORE" in found, check] += 1
                    if "REQ_MORE" in found and index + 1 < len(turns):
                        reply = turns[index + 1]
                        answer = acts(reply)
                        gold = bool(answer & {"NEGATE", "THANK_YOU", "GOODBYE"}) and not (
                            answer & {"INFORM_INTENT", "REQUEST"}
                        )
                        counts["confirmation", gold, confirms(reply["utterance"])] += 1
                else:
                    counts["question", "REQUEST" in found, bool(language.questions(text))] += 1
    return counts


def figures(counts: Counter[tuple[str, bool, bool]]) -> dict[str, dict[str, float | int]]:
    """Precision, recall and the confusion counts per signal."""
    result = {}
    for name in SIGNALS:
        tp, fp = counts[name, True, True], counts[name, False, True]
        fn, tn = counts[name, True, False], counts[name, False, False]
        result[name] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the table for the tuning and held-out parts and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sgd", type=Path, default=ROOT.parent / "shared/data/sgd_banking/train")
    args = parser.parse_args(argv)
    missing = [n for n in TUNING + HELD_OUT if not (args.sgd / f"{n}.json").is_file()]
    if missing:
        print(f"missing SGD files in {args.sgd}: {', '.join(missing)}", file=sys.stderr)
        return 1
    parts = {
        "tuning": figures(score([args.sgd / f"{n}.json" for n in TUNING])),
        "held_out": figures(score([args.sgd / f"{n}.json" for n in HELD_OUT])),
    }
    print(f"{'signal':16} {'part':9} {'precision':>9} {'recall':>7}   tp   fp   fn")
    for name in SIGNALS:
        for part, found in parts.items():
            f = found[name]
            print(
                f"{name:16} {part:9} {f['precision']:>9.2f} {f['recall']:>7.2f} "
                f"{f['tp']:>4} {f['fp']:>4} {f['fn']:>4}"
            )
    print(json.dumps(parts, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
