"""``cnic-ocr serve``'s function running for real in a child process on a loopback port.

Shared by the API's contract tests and the pipeline's end-to-end test (importable as
``live_ocr_server``: ``tests/`` is on the path of every test package).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnic_ocr.contract import OCR_PATH

REPO = Path(__file__).resolve().parents[1]

#: Runs the real ``serve`` with keys from the environment, as the CLI does.
_SERVE = (
    "from cnic_ocr.api.keys import load_api_keys\n"
    "from cnic_ocr.api.server import serve\n"
    "serve('127.0.0.1', 0, load_api_keys())\n"
)


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def endpoint(self) -> str:
        return self.url + OCR_PATH

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def answered(self, *, at_least: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The server's "request answered" log lines, once there are ``at_least`` of them (a thread
        reads them from the server's output, a moment after the answer), or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            answered = [log for log in self.logs() if log.get("message") == "request answered"]
            if len(answered) >= at_least or time.monotonic() > deadline:
                return answered
            time.sleep(0.05)


def start_server(api_keys: Sequence[str], *, timeout: float = 60.0) -> LiveServer:
    """Starts the server (real recognizer) and waits for its "serving" log line."""
    env = {**os.environ, "CNIC_OCR_API_KEYS": ", ".join(api_keys), "POWERTOOLS_LOG_LEVEL": "INFO"}
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
            if line.startswith("{") and json.loads(line).get("message") == "serving":
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
