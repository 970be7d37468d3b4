"""The OCR API server under abuse (issue 12): slow clients, and memory after big-pixel images.

``slow-clients``: the real server (``serve()`` in a child process, real recognizer) while N
sockets (default 200) hold connections the way a slowloris does: half send
``POST /v1/pk_ocr/general HTTP/1.1\\r\\nHost: x\\r\\n`` and stay, half declare a 4 MB body with a
valid key and send it at 100 bytes/s; each reconnects as soon as the server closes it. Meanwhile
one honest client sends a synthetic card every ``--interval`` seconds. Prints the honest
requests' answers and latencies (alone first, then under attack) and how often the server
closed an attacking socket.

``memory``: for each big-pixel image the contract accepts (at most 2 MiB of file, 40 MP), a
fresh server that has read one ordinary card: its RSS then, its peak (VmHWM, the whole life of
the process) and its RSS after the big image (Linux /proc).

A script, not a test; it prints figures:

    .venv/bin/python bench/abuse_bench.py slow-clients --duration 60
    .venv/bin/python bench/abuse_bench.py memory
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import selectors
import socket
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from PIL import Image, ImageDraw

from api_bench import Server, start_server  # bench/ is the script's directory
from cnic_ocr.contract import OCR_PATH
from cnic_ocr.synth import generate

PARTIAL_HEADERS = b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: x\r\n"
TRICKLE_BYTES_PER_SECOND = 100


def slow_body_headers(key: str) -> bytes:
    return (
        f"POST {OCR_PATH} HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000000\r\n\r\nimg="
    ).encode()


@dataclass
class Attack:
    """N slow sockets kept open (reopened when the server closes them) until ``stop`` is set."""

    server: Server
    sockets: int
    stop: threading.Event = field(default_factory=threading.Event)
    closed_by_server: Counter[str] = field(default_factory=Counter)
    opened: int = 0

    def run(self) -> None:
        address = urlsplit(self.server.url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        selector = selectors.DefaultSelector()

        def open_one(kind: str) -> None:
            conn = socket.socket()
            conn.setblocking(True)
            conn.settimeout(5)
            try:
                conn.connect((host, port))
                conn.sendall(PARTIAL_HEADERS if kind == "headers" else slow_body_headers(self.server.key))
            except OSError:
                conn.close()
                return
            conn.setblocking(False)
            selector.register(conn, selectors.EVENT_READ, kind)
            self.opened += 1

        for number in range(self.sockets):
            open_one("headers" if number % 2 else "body")
        next_trickle = time.monotonic()
        while not self.stop.is_set():
            for key, _ in selector.select(timeout=0.2):
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:  # closed by the server (or answered, then closed)
                    selector.unregister(conn)
                    conn.close()
                    self.closed_by_server[key.data] += 1
                    open_one(key.data)
            if time.monotonic() >= next_trickle:
                next_trickle += 1.0
                for key in list(selector.get_map().values()):
                    if key.data == "body":
                        conn = key.fileobj
                        assert isinstance(conn, socket.socket)
                        with contextlib.suppress(OSError):  # the read side notices the close
                            conn.send(b"A" * TRICKLE_BYTES_PER_SECOND)
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


def honest_requests(
    server: Server, body: bytes, count: int, interval: float, timeout: float
) -> list[tuple[float, str]]:
    """``count`` requests, one every ``interval`` s: (latency in s, HTTP code + status or error)."""
    results = []
    for _ in range(count):
        started = time.monotonic()
        try:
            response = requests.post(
                server.url + OCR_PATH, data=body, headers=server.headers(), timeout=timeout
            )
            outcome = f"{response.status_code} {response.json().get('status')}"
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        latency = time.monotonic() - started
        results.append((latency, outcome))
        time.sleep(max(0.0, interval - latency))
    return results


def summary(results: list[tuple[float, str]]) -> str:
    latencies = sorted(latency for latency, _ in results)
    outcomes = Counter(outcome for _, outcome in results)
    return (
        f"{len(results)} requests: {dict(outcomes)}; latency p50 {statistics.median(latencies):.2f} s,"
        f" max {latencies[-1]:.2f} s"
    )


def slow_clients(args: argparse.Namespace) -> None:
    server = start_server(threads=4, slots=1)
    try:
        card = generate(0, "phone").image
        body = urlencode({"img": base64.b64encode(card).decode("ascii")}).encode("ascii")
        print(f"honest request: a synthetic phone card of {len(card)} bytes, one every {args.interval} s")
        print("alone:        " + summary(honest_requests(server, body, 5, args.interval, args.timeout)))
        attack = Attack(server, args.sockets)
        attacker = threading.Thread(target=attack.run, daemon=True)
        attacker.start()
        time.sleep(2)  # every socket connected (or queued) before the first honest request
        count = max(1, int(args.duration / args.interval))
        under_attack = honest_requests(server, body, count, args.interval, args.timeout)
        attack.stop.set()
        attacker.join(timeout=10)
        print(f"under attack: {summary(under_attack)}")
        print(
            f"attack: {args.sockets} sockets held for {args.duration:.0f} s; connections opened"
            f" {attack.opened}, closed by the server {dict(attack.closed_by_server)}"
        )
        print(f"server RSS at the end: {server.rss_mb()} MiB")
    finally:
        server.stop()


def proc_status(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no {field_name} in /proc status")


def big_pixel_images() -> list[tuple[str, bytes]]:
    """Images at the contract's limits: close to 40 MP in at most 2 MiB (a card on a ruled page)."""
    card = Image.open(io.BytesIO(generate(0, "clean").image)).convert("RGB")
    card = card.resize((2000, 2000 * card.height // card.width)).quantize(64).convert("RGB")
    images = []
    for mode, side, paper in (("RGB", 6300, (236, 238, 232)), ("RGBA", 6324, (240, 240, 240, 255))):
        page = Image.new(mode, (side, side), paper)
        page.paste(card, (1650, 2200))
        draw = ImageDraw.Draw(page)
        for row in range(0, side, 90):
            draw.line([(0, row), (side, row)], fill=(200, 205, 198), width=3)
        png = io.BytesIO()
        page.save(png, format="PNG")
        images.append((f"PNG {side}x{side} {mode}", png.getvalue()))
    big = Image.new("RGB", (7300, 5470), (236, 238, 232))
    big.paste(card, (1100, 1200))
    jpeg = io.BytesIO()
    big.save(jpeg, format="JPEG", quality=60)
    images.append(("JPEG 7300x5470", jpeg.getvalue()))
    return images


def memory(args: argparse.Namespace) -> None:
    for name, image in big_pixel_images():
        server = start_server(threads=4, slots=1)
        try:
            pid = server.process.pid
            warm_up = {"img": base64.b64encode(generate(1, "phone").image).decode("ascii")}
            requests.post(server.url + OCR_PATH, data=warm_up, headers={"X-API-Key": server.key}, timeout=300)
            before = proc_status(pid, "VmRSS")  # after one ordinary card: the model and arenas in use
            body = {"img": base64.b64encode(image).decode("ascii")}
            started = time.monotonic()
            response = requests.post(
                server.url + OCR_PATH, data=body, headers={"X-API-Key": server.key}, timeout=300
            )
            seconds = time.monotonic() - started
            peak, after = proc_status(pid, "VmHWM"), proc_status(pid, "VmRSS")
            time.sleep(args.settle)
            settled = proc_status(pid, "VmRSS")
            answer = f"{response.status_code} {response.json()['status']} in {seconds:.1f} s"
            print(
                f"{name}, {len(image)} bytes: {answer}; RSS before {before} MiB, peak {peak} MiB,"
                f" after {after} MiB, {args.settle:.0f} s later {settled} MiB"
            )
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    slow = commands.add_parser("slow-clients")
    slow.add_argument("--sockets", type=int, default=200)
    slow.add_argument("--duration", type=float, default=60.0, help="seconds of attack")
    slow.add_argument("--interval", type=float, default=3.0, help="seconds between honest requests")
    slow.add_argument("--timeout", type=float, default=60.0, help="an honest request's client timeout")
    mem = commands.add_parser("memory")
    mem.add_argument("--settle", type=float, default=5.0, help="seconds to wait before the last RSS")
    args = parser.parse_args()
    if args.command == "slow-clients":
        slow_clients(args)
    else:
        memory(args)


if __name__ == "__main__":
    main()
