"""Helpers of the API tests: a fake recognizer for unit tests, a real server for contract tests."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from cnic_ocr.api.core import ApiRequest
from cnic_ocr.contract import EXAMPLE_FIELDS, OCR_PATH
from live_ocr_server import LiveServer
from live_ocr_server import start_server as start_live_server
from live_ocr_server import stop_server as stop_server  # the API tests' helpers in one place

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


def start_server(timeout: float = 60.0) -> LiveServer:
    """The real server accepting :data:`API_KEY` and :data:`OTHER_KEY`."""
    return start_live_server([API_KEY, OTHER_KEY], timeout=timeout)
