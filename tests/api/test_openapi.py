"""The OpenAPI document is valid and says what the code does (the fuzz tests check the behaviour)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import yaml
from openapi_spec_validator import validate

from cnic_ocr.api.core import ALLOWED_METHODS, API_KEY_HEADER, MAX_REQUEST_BODY_BYTES
from cnic_ocr.contract import MSG_NOT_IDENTITY_CARD, OCR_PATH, STATUS_MESSAGES, OcrStatus

DOCUMENT: dict[str, Any] = yaml.safe_load(files("cnic_ocr.api").joinpath("openapi.yaml").read_text("utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]


def test_document_is_valid_openapi_3() -> None:
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.")


def test_one_path_one_method() -> None:
    assert list(DOCUMENT["paths"]) == [OCR_PATH]
    assert [method.upper() for method in DOCUMENT["paths"][OCR_PATH]] == list(ALLOWED_METHODS)


def test_the_key_header_is_the_one_checked() -> None:
    scheme = DOCUMENT["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"].lower()) == ("apiKey", "header", API_KEY_HEADER)
    assert DOCUMENT["security"] == [{"ApiKey": []}]


def test_every_status_has_exactly_its_verbatim_messages() -> None:
    documented = {
        schema["properties"]["status"]["enum"][0]: set(schema["properties"]["message"].get("enum", []))
        for name, schema in SCHEMAS.items()
        if name.endswith("Body")
    }
    expected = {status.value: {message} for status, message in STATUS_MESSAGES.items()}
    expected[OcrStatus.FAIL.value].add(MSG_NOT_IDENTITY_CARD)
    expected[OcrStatus.OK.value] = set()  # its message is the fields object
    assert documented == expected


def test_the_body_cap_is_documented() -> None:
    assert f"{MAX_REQUEST_BODY_BYTES} bytes" in DOCUMENT["info"]["description"]
