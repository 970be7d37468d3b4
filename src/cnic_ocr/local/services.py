"""The loopback stand-ins local mode starts: moto's server and the project's OCR API server.

Each one is started, checked until it answers (or a clear error after a timeout) and stopped
by its ``stop()``, which is safe to call at any point and more than once.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import requests

from cnic_ocr.contract import OCR_PATH

LOOPBACK: Final = "127.0.0.1"
#: The OCR server loads its model before it listens; on a busy 2-core machine that can take long.
OCR_START_TIMEOUT_SECONDS: Final = 180.0
MOTO_START_TIMEOUT_SECONDS: Final = 30.0
#: SIGTERM lets the OCR server finish the recognition in flight; then it is killed.
STOP_TIMEOUT_SECONDS: Final = 30.0
_POLL_SECONDS: Final = 0.2


class ServiceError(RuntimeError):
    """A stand-in did not start or does not answer; the message says which and where to look."""


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def ocr_url(port: int) -> str:
    """The base URL of the local OCR API server on ``port``."""
    return f"http://{LOOPBACK}:{port}"


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, alive: Callable[[], str | None]
) -> None:
    """Polls ``check`` until it is true; ServiceError on timeout or when ``alive`` reports a death."""
    deadline = time.monotonic() + timeout
    while True:
        death = alive()
        if death is not None:
            raise ServiceError(f"{what} stopped while starting: {death}")
        if check():
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not answer within {timeout:.0f} s")
        time.sleep(_POLL_SECONDS)


class MotoServer:
    """moto's server (S3, DynamoDB, SQS, Secrets Manager, EventBridge) in a thread of this process."""

    def __init__(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise ServiceError(
                "local mode needs moto's server, a development dependency: pip install -e '.[dev]'"
            ) from exc
        # Request lines would otherwise interleave with the progress output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server: Any = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self._running = False
        self.url = ""

    def start(self) -> str:
        self._server.start()
        self._running = True
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        wait_until(self._answers, timeout=MOTO_START_TIMEOUT_SECONDS, what="moto server", alive=lambda: None)
        return self.url

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/moto-api/", timeout=2).status_code == 200  # its dashboard
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._server.stop()


class OcrServer:
    """``cnic-ocr serve`` in a child process, its output in a log file.

    With ``uploads_environment`` (the uploads function's settings and the AWS endpoint), it
    serves the mobile uploads routes too (``cnic-ocr serve --uploads``).
    """

    def __init__(
        self,
        api_key: str,
        log_path: Path,
        *,
        port: int,
        uploads_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.port = port
        self.url = ocr_url(port)
        self.log_path = log_path
        self._api_key = api_key
        self._uploads_environment = uploads_environment
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def serves_uploads(self) -> bool:
        return self._uploads_environment is not None

    def start(self) -> None:
        """Starts the process; :meth:`wait_ready` waits for the model to load."""
        env = {
            **os.environ,
            **(self._uploads_environment or {}),
            "CNIC_OCR_API_KEYS": self._api_key,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        command = [
            sys.executable,
            "-m",
            "cnic_ocr.cli",
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            *(["--uploads"] if self.serves_uploads else []),
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )

    def wait_ready(self, timeout: float = OCR_START_TIMEOUT_SECONDS) -> None:
        """Until a keyed request without an image gets the contract's INVALID_REQUEST answer."""
        wait_until(
            self._answers, timeout=timeout, what=f"OCR API server (log: {self.log_path})", alive=self.exited
        )

    def _answers(self) -> bool:
        try:
            answer = requests.post(
                self.url + OCR_PATH, data={}, headers={"X-API-Key": self._api_key}, timeout=5
            )
        except requests.RequestException:
            return False
        if answer.status_code == 403:
            raise ServiceError(f"the OCR API server on {self.url} refuses the generated key")
        return answer.status_code == 200 and answer.json().get("status") == "INVALID_REQUEST"

    def exited(self) -> str | None:
        """None while the process runs (or before it started); else how it ended, with its last log lines."""
        if self._process is None or self._process.poll() is None:
            return None
        return f"exit code {self._process.returncode}; last lines of {self.log_path}:\n{self.log_tail()}"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, hurry: Callable[[], bool] = lambda: False) -> None:
        """SIGTERM; SIGKILL after STOP_TIMEOUT_SECONDS, or once ``hurry()`` (a second Ctrl-C) is true.

        ``hurry`` is polled, not an exception: an exception could land before the kill.
        """
        process = self._process
        if process is None:
            return
        try:
            process.terminate()
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            while process.poll() is None and time.monotonic() < deadline and not hurry():
                time.sleep(_POLL_SECONDS)
        finally:  # also when the caller's exception cuts the wait short
            process.kill()  # nothing once it has exited
            process.wait()
            self._process = None
