"""Fixtures of the API tests (helpers live in ``support.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cnic_ocr.api.core import OcrApi

from .support import API_KEY, OTHER_KEY, FakeRecognizer, LiveServer, start_server, stop_server


@pytest.fixture
def fake() -> FakeRecognizer:
    return FakeRecognizer()


@pytest.fixture
def api(fake: FakeRecognizer) -> OcrApi:
    return OcrApi(fake, api_keys=[API_KEY, OTHER_KEY])


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The real server (real recognizer) for the tests of one module."""
    server = start_server()
    yield server
    stop_server(server)
