"""Recognizer benchmark: accuracy, answers, latency, load time and memory, synthetic and real.

Synthetic part: N seeded images per drawing family and condition (``cnic_ocr.synth``); each
image carries the API body a perfect recognizer returns, so every answer is scored against it.
Real part: the hand-labelled photos in ``../shared/real-cards`` (when that folder exists),
scored per tag. Prints and writes JSON and Markdown (``--out``, default bench/results/). A
script that prints figures, not a test.

Real cards are personal data: only aggregate counts and rates leave this script, never a
value read from or typed for a card, nor a file name.

    .venv/bin/python bench/recognizer_bench.py --n 100
    .venv/bin/python bench/recognizer_bench.py --n 5 --families snic plain --conditions phone negative
    .venv/bin/python bench/recognizer_bench.py --real-only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnic_ocr.synth import CONDITIONS, FAMILIES, HELD_OUT_FAMILY, generate

FIELDS = ("idNumber", "name", "fatherName", "gender", "country", "birthDay", "issueDay", "expiryDay")
SMALL_IMAGE = 200 * 1024
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REAL_CARDS = ROOT.parent / "shared" / "real-cards"

Recognize = Callable[[bytes], dict[str, Any]]


@dataclass
class Tally:
    """Answers to images that share an expected kind: fronts (expected OK) or expected FAILs."""

    images: int = 0
    fields_scored: int = 0
    fields_right: int = 0
    exact: int = 0
    wrong_ok: int = 0
    right_answer: int = 0  # expected-FAIL images answered with the expected status and message
    answers: Counter[str] = field(default_factory=Counter)  # "OK", "FAIL: <message>", ...
    per_field_scored: Counter[str] = field(default_factory=Counter)
    per_field_right: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def add(self, expected: dict[str, Any], body: dict[str, Any], seconds: float) -> bool:
        """Score one answer; True when it is what a perfect recognizer says."""
        self.images += 1
        self.latencies.append(seconds)
        status = body.get("status", "?")
        self.answers["OK" if status == "OK" else f"{status}: {body.get('message')}"] += 1
        if expected["status"] != "OK":
            right = bool(status == expected["status"] and body.get("message") == expected["message"])
            self.right_answer += right
            self.wrong_ok += status == "OK"
            return right
        scored = [key for key in FIELDS if expected["message"].get(key) is not None]
        self.fields_scored += len(scored)
        self.per_field_scored.update(scored)
        if status != "OK":  # a FAIL counts as every scored field wrong
            return False
        got = body["message"]
        right_keys = [key for key in scored if got.get(key) == expected["message"][key]]
        self.per_field_right.update(right_keys)
        right_fields = len(right_keys)
        self.fields_right += right_fields
        exact = right_fields == len(scored)
        self.exact += exact
        self.wrong_ok += not exact
        return exact

    def summary(self) -> dict[str, Any]:
        fronts = self.fields_scored > 0
        out: dict[str, Any] = {"images": self.images}
        if fronts:
            out["field_accuracy"] = _rate(self.fields_right, self.fields_scored)
            out["exact_rate"] = _rate(self.exact, self.images)
            out["per_field_accuracy"] = {
                key: _rate(self.per_field_right[key], self.per_field_scored[key]) for key in FIELDS
            }
        else:
            out["right_answer_rate"] = _rate(self.right_answer, self.images)
            out["rejected_rate"] = _rate(self.images - self.answers["OK"], self.images)
        out["wrong_ok_rate"] = _rate(self.wrong_ok, self.images)
        out["answers"] = dict(sorted(self.answers.items()))
        out["latency_p50_s"] = round(percentile(self.latencies, 0.5), 3)
        out["latency_p95_s"] = round(percentile(self.latencies, 0.95), 3)
        return out


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def timed(recognize: Recognize, data: bytes) -> tuple[dict[str, Any], float]:
    began = time.perf_counter()
    try:
        body = recognize(data)
    except Exception as error:  # a crash is an answer to count, not a reason to stop
        body = {"status": "EXCEPTION", "message": type(error).__name__}
    return body, time.perf_counter() - began


def run_synthetic(
    recognize: Recognize, n: int, seed: int, families: Iterable[str], conditions: Iterable[str]
) -> tuple[dict[str, Any], list[float]]:
    """Per family and condition: a tally of the images, and a few wrong answers (by seed).

    A family's fronts over all its conditions are also tallied, as condition "all".
    """
    report: dict[str, Any] = {}
    small: list[float] = []
    for family in families:
        report[family] = {}
        fronts = Tally()
        for condition in conditions:
            tally = Tally()
            mistakes: list[dict[str, Any]] = []
            for index in range(n):
                sample = generate(seed + index, condition, family)
                body, seconds = timed(recognize, sample.image)
                if len(sample.image) <= SMALL_IMAGE:
                    small.append(seconds)
                if sample.expected["status"] == "OK":
                    fronts.add(sample.expected, body, seconds)
                if not tally.add(sample.expected, body, seconds) and len(mistakes) < 5:
                    mistakes.append({"seed": seed + index, **_difference(sample.expected, body)})
            report[family][condition] = {**tally.summary(), "examples_of_errors": mistakes}
            print(f"  {family}/{condition}: {n} images", file=sys.stderr)
        if fronts.images > n:  # fronts of two conditions or more
            report[family]["all"] = fronts.summary()
    return report, small


def _difference(expected: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """What a synthetic answer got wrong (synthetic values only: never used for real cards)."""
    if body.get("status") != "OK" or expected["status"] != "OK":
        return {"got": f"{body.get('status')}: {body.get('message') if body.get('status') != 'OK' else ''}"}
    got, truth = body["message"], expected["message"]
    return {"wrong": {k: {"got": got.get(k), "truth": truth[k]} for k in FIELDS if got.get(k) != truth[k]}}


def run_real(recognize: Recognize, folder: Path) -> dict[str, Any]:
    """Tallies per tag (fronts carrying it), for all fronts and for the backs: counts only."""
    rows: dict[str, Tally] = {"all fronts": Tally(), "backs": Tally()}
    lines = (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        record = json.loads(line)
        expected = record["expect"]
        body, seconds = timed(recognize, (folder / record["file"]).read_bytes())
        if expected["status"] == "OK":
            groups = ["all fronts", *(f"tag {tag}" for tag in record.get("tags", []))]
        else:
            groups = ["backs"]
        for group in groups:
            rows.setdefault(group, Tally()).add(expected, body, seconds)
    print(f"  real cards: {len(lines)} images", file=sys.stderr)
    fronts = rows["all fronts"].images
    # a tag that every front carries (e.g. "real") would only repeat the "all fronts" row
    tags = sorted(k for k in rows if k.startswith("tag ") and rows[k].images < fronts)
    return {name: rows[name].summary() for name in ["all fronts", "backs", *tags]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="images per family and condition (default 100)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first image (default 1000)")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--real-cards", type=Path, default=REAL_CARDS, help="default: ../shared/real-cards")
    parser.add_argument("--real-only", action="store_true", help="skip the synthetic part")
    parser.add_argument("--out", type=Path, default=RESULTS / "recognizer", help="writes OUT.json and OUT.md")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from cnic_ocr.recognizer import Recognizer

    recognizer = Recognizer()
    load_seconds = time.perf_counter() - started
    report: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "cpus": os.cpu_count(),
        "model_load_s": round(load_seconds, 3),
        "held_out_family": HELD_OUT_FAMILY,
    }
    if not args.real_only:
        synthetic, small = run_synthetic(
            recognizer.recognize, args.n, args.seed, args.families, args.conditions
        )
        report["synthetic"] = {"n": args.n, "seed": args.seed, "results": synthetic}
        report["latency_small_images"] = {
            "count": len(small),
            "p50_s": round(percentile(small, 0.5), 3),
            "p95_s": round(percentile(small, 0.95), 3),
        }
    if (args.real_cards / "truth.jsonl").is_file():
        report["real_cards"] = run_real(recognizer.recognize, args.real_cards)
    else:
        report["real_cards"] = None
        print(f"real cards skipped: no {args.real_cards / 'truth.jsonl'}", file=sys.stderr)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text)
    print(text)
    return 0


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def _cells(*values: object) -> str:
    return "| " + " | ".join(str(value) for value in values) + " |"


def _answer_split(answers: dict[str, int], images: int) -> tuple[str, str, str]:
    """Shares of 'check input image and retry', 'not identity card' and any other non-OK answer."""
    retry = sum(v for k, v in answers.items() if k.endswith("check input image and retry"))
    not_card = sum(v for k, v in answers.items() if k.endswith("not identity card"))
    other = sum(answers.values()) - answers.get("OK", 0) - retry - not_card
    return _pct(retry / images), _pct(not_card / images), _pct(other / images)


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Recognizer benchmark ({report['measured_at']})",
        "",
        f"Machine: {report['machine']}, {report['cpus']} CPUs. Model load {report['model_load_s']} s,"
        f" peak RSS {report['peak_rss_mb']} MB. Field accuracy counts a FAIL as every field wrong;"
        " 'wrong OK' is an OK answer with a wrong field (or to an image that must FAIL).",
        "",
    ]
    synthetic = report.get("synthetic")
    if synthetic:
        lines += [
            f"## Synthetic: N = {synthetic['n']} per family and condition, seeds from {synthetic['seed']}"
            f" (family `{report['held_out_family']}` is held out of tuning)",
            "",
            "Fronts (expected OK):",
            "",
            "| family | condition | images | field acc. | exact | wrong OK | FAIL retry | FAIL not card"
            " | other | p50 s | p95 s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        failing: list[str] = []
        for family, conditions in synthetic["results"].items():
            for condition, row in conditions.items():
                retry, not_card, other = _answer_split(row["answers"], row["images"])
                name = f"{family} (held out)" if family == report["held_out_family"] else family
                timing = (row["latency_p50_s"], row["latency_p95_s"])
                if "field_accuracy" in row:
                    accuracy = (_pct(row["field_accuracy"]), _pct(row["exact_rate"]))
                    lines.append(
                        _cells(name, condition, row["images"], *accuracy, _pct(row["wrong_ok_rate"]),
                               retry, not_card, other, *timing)
                    )  # fmt: skip
                else:
                    expected = "not card" if condition == "negative" else "retry"
                    answers = (_pct(row["right_answer_rate"]), _pct(row["rejected_rate"]))
                    failing.append(
                        _cells(name, condition, expected, row["images"], *answers, _pct(row["wrong_ok_rate"]),
                               retry, not_card, other, *timing)
                    )  # fmt: skip
        if failing:
            lines += [
                "",
                "Expected FAIL (negatives: 'not identity card';"
                " legacy fronts: 'check input image and retry'):",
                "",
                "| family | condition | expected | images | right answer | rejected | wrong OK | FAIL retry"
                " | FAIL not card | other | p50 s | p95 s |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|",
                *failing,
            ]
        small = report["latency_small_images"]
        lines += [
            "",
            f"Images <= 200 KB: {small['count']}, p50 {small['p50_s']} s, p95 {small['p95_s']} s.",
            "",
        ]
    real = report.get("real_cards")
    if real is None:
        lines += ["## Real cards: skipped (folder absent)", ""]
    else:
        lines += [
            "## Real cards (aggregate figures only)",
            "",
            "Per-tag rows count the fronts with that tag (tags on every front are left out);"
            " fields whose truth is null are not scored.",
            "",
            "| rows | images | field acc. | exact | rejected | wrong OK | FAIL retry | FAIL not card | other"
            " | p50 s | p95 s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, row in real.items():
            retry, not_card, other = _answer_split(row["answers"], row["images"])
            accuracy = (_pct(row.get("field_accuracy")), _pct(row.get("exact_rate")))
            lines.append(
                _cells(name, row["images"], *accuracy, _pct(row.get("rejected_rate")),
                       _pct(row["wrong_ok_rate"]), retry, not_card, other, row["latency_p50_s"],
                       row["latency_p95_s"])
            )  # fmt: skip
        per_field = real["all fronts"].get("per_field_accuracy") or {}
        shares = ", ".join(f"{key} {_pct(value)}" for key, value in per_field.items() if value is not None)
        lines += ["", f"Per field, all fronts: {shares}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
