"""Helpers of the API tests: a fake recognizer for unit tests, a real server for contract tests."""

from __future__ import annotations

import base64
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from cnic_ocr.api.core import OCR_PATH, ApiRequest
from cnic_ocr.contract import EXAMPLE_FIELDS

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "second-key-fedcba9876543210"

OK_FIELDS = dict(EXAMPLE_FIELDS)


@dataclass
class FakeRecognizer:
    """Answers with ``answer`` (or raises ``error``) and remembers what it was asked."""

    answer: dict[str, Any] = field(default_factory=lambda: {"status": "OK", "message": dict(OK_FIELDS)})
    error: Exception | None = None
    calls: list[tuple[bytes, bool]] = field(default_factory=list)

    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
        self.calls.append((data, details))
        if self.error is not None:
            raise self.error
        return self.answer


def png_bytes(width: int = 64, height: int = 40) -> bytes:
    """A small valid PNG (not a card)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(out, format="PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make_request(
    body: bytes = b"",
    *,
    content_type: str | None = "application/x-www-form-urlencoded",
    key: str | None = API_KEY,
    method: str = "POST",
    path: str = OCR_PATH,
    query: dict[str, list[str]] | None = None,
) -> ApiRequest:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if key is not None:
        headers["X-API-Key"] = key
    return ApiRequest(
        method=method, path=path, headers=headers, query=query or {}, body=body, request_id="req-test-1"
    )


@dataclass
class LiveServer:
    """``cnic-ocr serve``'s function, running for real in a child process on a loopback port."""

    url: str
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def endpoint(self) -> str:
        return self.url + OCR_PATH

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]


#: Runs the real ``serve`` with keys from the environment, as the CLI does.
_SERVE = (
    "from cnic_ocr.api.keys import load_api_keys\n"
    "from cnic_ocr.api.server import serve\n"
    "serve('127.0.0.1', 0, load_api_keys())\n"
)


def start_server(timeout: float = 60.0) -> LiveServer:
    env = {**os.environ, "CNIC_OCR_API_KEYS": f"{API_KEY}, {OTHER_KEY}", "POWERTOOLS_LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # keeps the pipe empty and the log lines for assertions
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if '"message":"serving"' in line.replace(" ", ""):
                ready.put(json.loads(line)["url"])

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            url = ready.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                raise RuntimeError("server exited at start:\n" + "".join(lines)) from None
            continue
        return LiveServer(url=url, process=process, lines=lines)
    process.kill()
    raise RuntimeError("server did not start in time:\n" + "".join(lines))


def stop_server(server: LiveServer) -> int:
    server.process.terminate()
    return server.process.wait(timeout=30)
