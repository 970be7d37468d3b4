"""OCR API benchmark: overhead of the HTTP API over the bare recognizer, and a loopback load test.

1. Bare recognizer: the same synthetic cards, recognized in this process (p50).
2. API overhead: one client, sequential requests to the real server (``serve()`` in a child
   process, waitress, real recognizer). Per request, overhead = client-side latency minus the
   recognizer time the server reports in ``Server-Timing``: base64, HTTP, parsing, checks,
   JSON and logging (the client's own encoding is done beforehand). Target (issue 3): <= 20 ms
   at p50.
3. Load: N concurrent clients (default 8) for a bounded duration (default 60 s): requests/s,
   latency p50/p95/p99, errors, and the server's RSS (from /proc, Linux) over the run.

Prints the figures and writes them to bench/results/api_bench.json. A script, not a test.

    .venv/bin/python bench/api_bench.py --duration 60
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import queue
import secrets
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from cnic_ocr.api.server import DEFAULT_RECOGNITION_SLOTS, DEFAULT_THREADS
from cnic_ocr.contract import OCR_PATH
from cnic_ocr.synth import generate

RESULTS = Path(__file__).resolve().parent / "results"
#: The child process runs the very function ``cnic-ocr serve`` runs, keys from the environment.
SERVE = (
    "from cnic_ocr.api.keys import load_api_keys\n"
    "from cnic_ocr.api.server import serve\n"
    "serve('127.0.0.1', 0, load_api_keys(), threads={threads}, recognition_slots={slots})\n"
)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    key: str

    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key, "Content-Type": "application/x-www-form-urlencoded"}

    def rss_mb(self) -> float:
        """Resident memory of the server process (VmRSS), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmRSS in /proc status")

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=60)


def start_server(threads: int, slots: int) -> Server:
    key = secrets.token_urlsafe(24)
    env = {**os.environ, "CNIC_OCR_API_KEYS": key}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE.format(threads=threads, slots=slots)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    urls: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # the server logs one line per request: keep the pipe flowing
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{") and json.loads(line).get("message") == "serving":
                urls.put(json.loads(line)["url"])

    threading.Thread(target=drain, daemon=True).start()
    try:
        url = urls.get(timeout=120)
    except queue.Empty:
        process.kill()
        raise RuntimeError("server did not start within 120 s") from None
    return Server(process=process, url=url, key=key)


def synthetic_cards(count: int, condition: str) -> list[tuple[bytes, bytes]]:
    """(image, request body) of ``count`` seeded synthetic card photos.

    The body (``img=`` + percent-encoded base64, as curl --data-urlencode sends it) is made once
    here, so that the client's encoding time is not counted as API overhead.
    """
    cards = []
    for seed in range(count):
        image = generate(seed, condition).image
        cards.append((image, urlencode({"img": base64.b64encode(image).decode("ascii")}).encode("ascii")))
    return cards


def bare_recognizer(cards: list[tuple[bytes, bytes]], rounds: int) -> dict[str, Any]:
    from cnic_ocr.recognizer import get_recognizer

    recognizer = get_recognizer()
    recognizer.recognize(cards[0][0])  # warm-up
    latencies = []
    for _ in range(rounds):
        for image, _ in cards:
            started = time.perf_counter()
            recognizer.recognize(image)
            latencies.append(time.perf_counter() - started)
    return {"requests": len(latencies), "p50_ms": ms(percentile(latencies, 0.5))}


def server_recognize_seconds(response: requests.Response) -> float:
    """The ``recognize;dur=<ms>`` the server measured around the recognizer call."""
    for metric in response.headers.get("Server-Timing", "").split(","):
        name, _, duration = metric.strip().partition(";dur=")
        if name == "recognize":
            return float(duration) / 1000
    raise RuntimeError("response has no Server-Timing recognize metric")


def api_overhead(server: Server, cards: list[tuple[bytes, bytes]], rounds: int) -> dict[str, Any]:
    session = requests.Session()
    endpoint = server.url + OCR_PATH
    headers = server.headers()
    session.post(endpoint, data=cards[0][1], headers=headers, timeout=120)  # warm-up
    totals, overheads = [], []
    for _ in range(rounds):
        for _, body in cards:
            started = time.perf_counter()
            response = session.post(endpoint, data=body, headers=headers, timeout=120)
            total = time.perf_counter() - started
            response.raise_for_status()
            totals.append(total)
            overheads.append(total - server_recognize_seconds(response))
    return {
        "requests": len(totals),
        "http_p50_ms": ms(percentile(totals, 0.5)),
        "overhead_p50_ms": ms(percentile(overheads, 0.5)),
        "overhead_p95_ms": ms(percentile(overheads, 0.95)),
        "overhead_max_ms": ms(max(overheads)),
    }


@dataclass
class LoadStats:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_test(
    server: Server, cards: list[tuple[bytes, bytes]], clients: int, duration: float
) -> dict[str, Any]:
    stats = LoadStats()
    endpoint = server.url + OCR_PATH
    deadline = time.monotonic() + duration

    def client(number: int) -> None:
        session = requests.Session()
        index = number
        while time.monotonic() < deadline:
            body = cards[index % len(cards)][1]
            index += clients
            started = time.perf_counter()
            try:
                response = session.post(endpoint, data=body, headers=server.headers(), timeout=120)
                elapsed = time.perf_counter() - started
                status = (
                    response.json()["status"]
                    if response.status_code == 200
                    else f"HTTP {response.status_code}"
                )
            except (requests.RequestException, ValueError, KeyError) as exc:
                with stats.lock:
                    stats.errors.append(type(exc).__name__)
                continue
            with stats.lock:
                stats.latencies.append(elapsed)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                if status not in ("OK", "FAIL"):
                    stats.errors.append(status)

    rss_samples = [server.rss_mb()]
    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        time.sleep(1.0)
        rss_samples.append(server.rss_mb())
    elapsed = time.monotonic() - started
    latencies = stats.latencies
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": ms(percentile(latencies, 0.5)),
        "p95_ms": ms(percentile(latencies, 0.95)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "mean_ms": ms(statistics.fmean(latencies)) if latencies else None,
        "statuses": stats.statuses,
        "errors": len(stats.errors),
        "error_kinds": sorted(set(stats.errors)),
        "rss_mb_start": rss_samples[0],
        "rss_mb_end": rss_samples[-1],
        "rss_mb_max": max(rss_samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="OCR API overhead and loopback load benchmark")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="load test length in seconds (default 60)"
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients in the load test (default 8)"
    )
    parser.add_argument("--cards", type=int, default=8, help="distinct synthetic cards (default 8)")
    parser.add_argument(
        "--condition", default="phone", help="synthetic condition of the cards (default phone)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="passes over the cards for the overhead (default 3)"
    )
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="server worker threads")
    parser.add_argument(
        "--recognition-slots",
        type=int,
        default=DEFAULT_RECOGNITION_SLOTS,
        help="server's recognitions at once",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "api_bench.json")
    args = parser.parse_args()
    if not 0 < args.duration <= 600:
        parser.error("--duration must be in (0, 600] seconds: the load test is bounded")

    load_before = os.getloadavg()  # the machine may be shared: say how busy it was
    cards = synthetic_cards(args.cards, args.condition)
    sizes = [len(image) for image, _ in cards]
    print(f"{len(cards)} synthetic '{args.condition}' cards, {min(sizes)}-{max(sizes)} bytes")
    bare = bare_recognizer(cards, args.rounds)
    print(f"bare recognizer: p50 {bare['p50_ms']} ms over {bare['requests']} calls")

    server = start_server(args.threads, args.recognition_slots)
    try:
        overhead = api_overhead(server, cards, args.rounds)
        print(
            f"API, 1 client: HTTP p50 {overhead['http_p50_ms']} ms; overhead over the recognizer "
            f"p50 {overhead['overhead_p50_ms']} ms, p95 {overhead['overhead_p95_ms']} ms "
            f"(target <= 20 ms at p50)"
        )
        load = load_test(server, cards, args.clients, args.duration)
        print(
            f"load, {load['clients']} clients, {load['duration_s']} s: {load['requests']} requests, "
            f"{load['requests_per_s']} req/s, p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, "
            f"p99 {load['p99_ms']} ms, errors {load['errors']} {load['error_kinds']}, "
            f"statuses {load['statuses']}"
        )
        print(
            f"server RSS: start {load['rss_mb_start']} MiB, end {load['rss_mb_end']} MiB, "
            f"max {load['rss_mb_max']} MiB"
        )
    finally:
        exit_code = server.stop()
    print(f"server stopped on SIGTERM with exit code {exit_code}")
    print(
        f"1-minute load average before/after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "card_bytes": {"min": min(sizes), "max": max(sizes), "mean": round(statistics.fmean(sizes))},
        "bare_recognizer": bare,
        "api_one_client": overhead,
        "load": load,
        "server_exit_code": exit_code,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
