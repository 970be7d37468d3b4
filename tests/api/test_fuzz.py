"""Fuzzing against the OpenAPI document: no input yields anything but a documented status and JSON body."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

import cnic_ocr.api
from cnic_ocr.api.core import ApiRequest, OcrApi
from cnic_ocr.contract import OCR_PATH

from .support import API_KEY, OK_FIELDS, FakeRecognizer, LiveServer

OPENAPI = Path(cnic_ocr.api.__file__).with_name("openapi.yaml")
DOCUMENT: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
schema = schemathesis.openapi.from_path(OPENAPI)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]


@schema.parametrize()
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_real_server_conforms_to_its_openapi_document(
    case: schemathesis.Case, live_server: LiveServer
) -> None:
    case.call_and_validate(
        base_url=live_server.url, headers={"X-API-Key": API_KEY}, checks=CHECKS, timeout=60
    )


OPERATION = DOCUMENT["paths"][OCR_PATH]["post"]
DOCUMENTED_STATUSES = {int(code) for code in OPERATION["responses"]}


def documented_body_schema(status_code: int) -> dict[str, Any]:
    """The JSON schema the document gives for ``status_code``, with its ``#/components`` resolvable."""
    response = OPERATION["responses"][str(status_code)]
    if "$ref" in response:
        response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return {**response["content"]["application/json"]["schema"], "components": DOCUMENT["components"]}


RECOGNIZER_ANSWERS = st.sampled_from(
    [
        {"status": "OK", "message": OK_FIELDS},
        {"status": "OK", "message": OK_FIELDS, "details": {"timingsMs": {"total": 1.0}}},
        {"status": "FAIL", "message": "not identity card"},
        {"status": "FAIL", "message": "check input image and retry", "details": {}},
        {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"},
        {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"},
        {"status": "INVALID_REQUEST", "message": "check request params"},
        {"status": "INNER_ERROR", "message": "Inner error, please retry later"},
        {"status": "OK", "message": {"idNumber": "garbage"}},  # a recognizer bug
    ]
)
HEADER_VALUES = st.text(max_size=40)
FORM_VALUES = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(lambda data: base64.b64encode(data).decode()),
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(["img", "details", "x", ""]), FORM_VALUES, max_size=3).map(
        lambda fields: "&".join(f"{k}={v}" for k, v in fields.items()).encode("utf-8", "surrogatepass")
    ),
    st.dictionaries(
        st.sampled_from(["img", "details", "other"]),
        st.one_of(st.none(), st.booleans(), st.integers(), FORM_VALUES, st.lists(st.integers(), max_size=2)),
        max_size=3,
    ).map(lambda doc: json.dumps(doc).encode()),
)


@given(
    answer=RECOGNIZER_ANSWERS,
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "post", "BREW"]),
    path=st.one_of(st.just(OCR_PATH), st.text(max_size=30)),
    content_type=st.one_of(
        st.none(),
        st.sampled_from(
            ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data"]
        ),
        HEADER_VALUES,
    ),
    key=st.one_of(st.none(), st.just(API_KEY), HEADER_VALUES),
    query=st.dictionaries(
        st.sampled_from(["details", "img", "x"]), st.lists(HEADER_VALUES, max_size=2), max_size=2
    ),
    body=BODIES,
)
@settings(max_examples=600, deadline=None)
def test_core_answers_anything_with_a_documented_status_and_json_body(
    answer: dict[str, Any],
    method: str,
    path: str,
    content_type: str | None,
    key: str | None,
    query: dict[str, list[str]],
    body: bytes,
) -> None:
    headers = {
        name: value
        for name, value in (("Content-Type", content_type), ("X-API-Key", key))
        if value is not None
    }
    api = OcrApi(FakeRecognizer(answer=answer), api_keys=[API_KEY], max_body_bytes=150)
    response = api.handle(ApiRequest(method, path, headers, query, body, "req-fuzz"))
    assert response.status_code in DOCUMENTED_STATUSES
    assert response.headers["Content-Type"] == "application/json"
    OAS30Validator(documented_body_schema(response.status_code)).validate(json.loads(response.body))
