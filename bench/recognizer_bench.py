"""Recognizer benchmark: accuracy, rejection, latency, load time and memory on synthetic cards.

Generates N seeded cards per condition with ``cnic_ocr.synth``, runs the recognizer on each,
and prints and writes (JSON and Markdown, in bench/results/) the figures the recognizer issue
sets targets for. A script that prints figures, not a test.

    .venv/bin/python bench/recognizer_bench.py --n 200
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnic_ocr.synth import CONDITIONS, generate

FIELDS = ("idNumber", "name", "fatherName", "gender", "country", "birthDay", "issueDay", "expiryDay")
SMALL_IMAGE = 200 * 1024
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class ConditionStats:
    cards: int = 0
    ok: int = 0
    exact: int = 0
    false_ok: int = 0
    rejected: int = 0
    fields_right: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    small_latencies: list[float] = field(default_factory=list)
    wrong_examples: list[dict[str, Any]] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def run(n: int, conditions: list[str], seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    from cnic_ocr.recognizer import Recognizer

    recognizer = Recognizer()
    load_seconds = time.perf_counter() - started
    stats: dict[str, ConditionStats] = {}
    for condition in conditions:
        current = stats[condition] = ConditionStats()
        for index in range(n):
            sample = generate(seed + index, condition)
            began = time.perf_counter()
            body = recognizer.recognize(sample.image)
            elapsed = time.perf_counter() - began
            current.latencies.append(elapsed)
            if len(sample.image) <= SMALL_IMAGE:
                current.small_latencies.append(elapsed)
            current.statuses[f"{body['status']}: {body['message'] if body['status'] != 'OK' else ''}"] += 1
            current.cards += 1
            if sample.truth is None:
                current.rejected += body["status"] != "OK"
                if body["status"] == "OK" and len(current.wrong_examples) < 5:
                    current.wrong_examples.append({"seed": seed + index, "got": body["message"]})
                continue
            if body["status"] != "OK":
                continue
            current.ok += 1
            got = body["message"]
            right = {key: got[key] == sample.truth[key] for key in FIELDS}
            current.fields_right.update(key for key, ok in right.items() if ok)
            if all(right.values()):
                current.exact += 1
            else:
                current.false_ok += 1
                if len(current.wrong_examples) < 5:
                    wrong = {
                        k: {"got": got[k], "truth": sample.truth[k]} for k, ok in right.items() if not ok
                    }
                    current.wrong_examples.append({"seed": seed + index, "wrong": wrong})
        print(f"  {condition}: done ({n} images)", file=sys.stderr)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return summarise(stats, load_seconds, peak_rss_mb, n, seed)


def summarise(
    stats: dict[str, ConditionStats], load_seconds: float, peak_rss_mb: float, n: int, seed: int
) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    all_small: list[float] = []
    for name, s in stats.items():
        all_small += s.small_latencies
        entry: dict[str, Any] = {
            "images": s.cards,
            "statuses": dict(s.statuses),
            "latency_p50_s": round(percentile(s.latencies, 0.5), 3),
            "latency_p95_s": round(percentile(s.latencies, 0.95), 3),
            "examples_of_errors": s.wrong_examples,
        }
        if name == "negative":
            entry["rejected_rate"] = round(s.rejected / s.cards, 4)
        else:
            # A FAIL counts as eight wrong fields: accuracy is over every card, not only the OK ones.
            total_fields = s.cards * len(FIELDS)
            entry["field_accuracy"] = round(sum(s.fields_right.values()) / total_fields, 4)
            entry["per_field_accuracy"] = {k: round(s.fields_right[k] / s.cards, 4) for k in FIELDS}
            entry["ok_rate"] = round(s.ok / s.cards, 4)
            entry["exact_match_rate"] = round(s.exact / s.cards, 4)
            entry["false_ok_rate"] = round(s.false_ok / s.cards, 4)
        conditions[name] = entry
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "cpus": __import__("os").cpu_count(),
        "n_per_condition": n,
        "seed": seed,
        "model_load_s": round(load_seconds, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "latency_small_images": {
            "count": len(all_small),
            "p50_s": round(percentile(all_small, 0.5), 3),
            "p95_s": round(percentile(all_small, 0.95), 3),
            "mean_s": round(statistics.fmean(all_small), 3) if all_small else None,
        },
        "conditions": conditions,
    }


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "| condition | images | field acc. | exact | OK rate | false OK | rejected | p50 s | p95 s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in report["conditions"].items():
        rows.append(
            f"| {name} | {c['images']} | {c.get('field_accuracy', '')} | {c.get('exact_match_rate', '')} | "
            f"{c.get('ok_rate', '')} | {c.get('false_ok_rate', '')} | {c.get('rejected_rate', '')} | "
            f"{c['latency_p50_s']} | {c['latency_p95_s']} |"
        )
    small = report["latency_small_images"]
    return "\n".join(
        [
            f"# Recognizer benchmark ({report['measured_at']})",
            "",
            f"Machine: {report['machine']}, {report['cpus']} CPUs."
            f" N = {report['n_per_condition']} per condition,"
            f" seed {report['seed']}.",
            "",
            *rows,
            "",
            f"- images <= 200 KB: {small['count']}, p50 {small['p50_s']} s, p95 {small['p95_s']} s",
            f"- model load: {report['model_load_s']} s; peak RSS: {report['peak_rss_mb']} MB",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="images per condition")
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS / "recognizer")
    args = parser.parse_args()
    report = run(args.n, args.conditions, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
