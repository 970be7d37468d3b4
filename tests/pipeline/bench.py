"""Benchmark of the upload pipeline (not a test): run ``.venv/bin/python tests/pipeline/bench.py``.

Prints
* the handler's own time per object, excluding the OCR call: the real handler, idempotency,
  S3 reads, DynamoDB writes and EventBridge publishing, all against in-process moto, with the
  OCR API answering instantly through ``responses``; every object is new, so nothing is skipped;
* the downscale ratio and time of ~4 MB, 12 MP phone photos (synthetic, seeded).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers

import responses
from moto import mock_aws

from cnic_ocr.pipeline import handler
from cnic_ocr.pipeline.adapters.ocr_http import RequestsOcrTransport
from cnic_ocr.pipeline.domain.imaging import prepare_for_ocr
from pipeline.conftest import PIPELINE_ENV
from pipeline.support import (
    OCR_ENDPOINT,
    OK_BODY,
    REGION,
    TEST_SESSION,
    LambdaContextStub,
    create_stack,
    decoded,
    phone_photo_jpeg,
    small_card_jpeg,
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def distinct(jpeg: bytes, number: int) -> bytes:
    """The same picture with a JPEG comment segment, so every object has its own SHA-256."""
    comment = f"bench object {number}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def handler_overhead(objects: int) -> None:
    os.environ.update(PIPELINE_ENV)  # default settings: SHA-256 reuse on (one more query per object)
    handler.logger.setLevel(logging.WARNING)  # one INFO line per object, as in Lambda, would be timed too
    logging.getLogger("cnic_ocr").setLevel(logging.WARNING)
    ocr_seconds: list[float] = []
    original_post = RequestsOcrTransport.post_image

    def timed_post(self: RequestsOcrTransport, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_post(self, *args, **kwargs)
        finally:
            ocr_seconds.append(time.perf_counter() - started)

    RequestsOcrTransport.post_image = timed_post  # type: ignore[method-assign]
    cards = [small_card_jpeg(seed) for seed in range(10)]
    with mock_aws(), responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
        # No rule on the bus: routing events onward is EventBridge's work, not the function's.
        stack = create_stack(
            lambda service: TEST_SESSION.client(service, region_name=REGION), route_events=False
        )
        events = [
            stack.put_object(f"uploads/bench/{i:05d}.jpg", distinct(cards[i % len(cards)], i))
            for i in range(objects + 1)
        ]
        handler.get_runtime.cache_clear()
        devnull = Path(os.devnull).open("w")  # noqa: SIM115 - metrics lines would swamp the report
        stdout, sys.stdout = sys.stdout, devnull
        overheads: list[float] = []
        try:
            for index, event in enumerate(events):
                ocr_before = len(ocr_seconds)
                started = time.perf_counter()
                handler.lambda_handler(event, LambdaContextStub())
                total = time.perf_counter() - started
                if index == 0:
                    cold = total
                    continue
                overheads.append((total - sum(ocr_seconds[ocr_before:])) * 1000)
        finally:
            sys.stdout = stdout
            devnull.close()
    assert len(ocr_seconds) == len(events), "every object must reach the OCR call"
    print(f"handler overhead per object, excluding the OCR call (moto, {objects} objects of ~50 KB):")
    print(
        f"  p50 {statistics.median(overheads):.1f} ms   p90 {percentile(overheads, 0.9):.1f} ms"
        f"   max {max(overheads):.1f} ms   (first, cold start incl. setup: {cold * 1000:.0f} ms)"
    )


def downscale(photos: int) -> None:
    print(f"downscaling {photos} synthetic 12 MP phone photos (4032x3024) to <= 200 000 bytes:")
    times, ratios = [], []
    for seed in range(photos):
        photo = phone_photo_jpeg(4032, seed=100 + seed, noise=12 + seed % 3)
        started = time.perf_counter()
        prepared = prepare_for_ocr(photo, max_send_bytes=200_000, min_long_side=1200)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        ratios.append(len(prepared.data) / len(photo))
        size = decoded(prepared.data).size
        print(
            f"  {len(photo) / 1e6:.2f} MB -> {len(prepared.data) / 1e3:.0f} KB"
            f"  ({size[0]}x{size[1]}, ratio {ratios[-1]:.3f})  {elapsed:.0f} ms"
        )
    print(
        f"  median {statistics.median(times):.0f} ms, max {max(times):.0f} ms;"
        f" median ratio {statistics.median(ratios):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--photos", type=int, default=6)
    args = parser.parse_args()
    handler_overhead(args.objects)
    if args.photos:
        downscale(args.photos)


if __name__ == "__main__":
    main()
