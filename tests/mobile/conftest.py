"""Fixtures of the mobile uploads tests (helpers live in ``support.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from cnic_ocr.mobile import lambda_handler as mobile_lambda
from cnic_ocr.pipeline import handler

from .support import PIPELINE_ENV, AwsStack, FakeClock, create_stack


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PIPELINE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws(env: None) -> Iterator[AwsStack]:
    """moto with the template's bucket, tables, secrets and bus; processes built afresh."""
    with mock_aws():
        handler.get_runtime.cache_clear()
        mobile_lambda.get_api.cache_clear()
        yield create_stack()
        handler.get_runtime.cache_clear()
        mobile_lambda.get_api.cache_clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
