"""``mobile/openapi.yaml``: valid, consistent with the code and the OCR document, and what the server does.

schemathesis drives the real WSGI app (the local server's, ``OcrApi`` with the uploads routes)
in-process on moto, from the document alone: single requests, and POST→GET sequences that
follow the document's link from a slot to its look-up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib.resources import files
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from cnic_ocr.api.core import KeyedApi, OcrApi
from cnic_ocr.api.wsgi import OcrWsgiApp
from cnic_ocr.mobile.core import (
    DEFAULT_MAX_UPLOAD_BYTES,
    MSG_SLOT_EXPIRED,
    UPLOAD_CONTENT_TYPES,
    UPLOADS_PATH,
    UploadIdSigner,
)

from .support import APP_KEY, OTHER_APP_KEY, AwsStack, FakeClock, request, served, uploads_api

OPENAPI = files("cnic_ocr.mobile").joinpath("openapi.yaml")
DOCUMENT: dict[str, Any] = yaml.safe_load(OPENAPI.read_text("utf-8"))
OCR_DOCUMENT: dict[str, Any] = yaml.safe_load(
    files("cnic_ocr.api").joinpath("openapi.yaml").read_text("utf-8")
)
ITEM_PATH = UPLOADS_PATH + "/{uploadId}"


class NoRecognizer:
    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
        raise AssertionError("the uploads routes never recognize")


class SwitchableApp:
    """The WSGI app schemathesis calls; each test plugs in one built inside its moto mock."""

    target: OcrWsgiApp | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.target is not None, "no app plugged in"
        return self.target(environ, start_response)


APP = SwitchableApp()
schema = schemathesis.openapi.from_path(str(OPENAPI))
schema.app = APP

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]


@pytest.fixture
def plugged(aws: AwsStack, clock: FakeClock) -> Iterator[None]:
    api = OcrApi(NoRecognizer(), api_keys=[APP_KEY, OTHER_APP_KEY], more_routes=uploads_api(clock))
    APP.target = OcrWsgiApp(api)
    yield
    APP.target = None


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_server_conforms_to_the_document(case: schemathesis.Case, plugged: None) -> None:
    case.call_and_validate(headers={"X-API-Key": APP_KEY}, checks=CHECKS)


class SlotThenLookUp(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences that follow the document's link from a new slot (201) to its look-up."""

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": {"X-API-Key": APP_KEY}}

    def after_call(self, response: Any, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        LOOK_UPS.append((case.method, case.path_parameters or {}, response.status_code))

    def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
        # Every request carries the valid key here; the key check is the single-request test's.
        case.validate_response(response, checks=[c for c in CHECKS if c is not ignored_auth])


LOOK_UPS: list[tuple[str, dict[str, Any], int]] = []


def test_slot_then_look_up_sequences_conform(plugged: None) -> None:
    LOOK_UPS.clear()
    SlotThenLookUp.run(settings=settings(max_examples=15, stateful_step_count=4, deadline=None))
    # the link was followed: looked-up ids were issued ones, and answered as such
    assert any(method == "GET" and status == 200 for method, _, status in LOOK_UPS), LOOK_UPS


# ---------------------------------------------------------------- the document and the code


def test_document_is_valid_openapi_3() -> None:
    validate(DOCUMENT)
    assert list(DOCUMENT["paths"]) == [UPLOADS_PATH, ITEM_PATH]
    assert list(DOCUMENT["paths"][UPLOADS_PATH]) == ["post"]
    assert [m for m in DOCUMENT["paths"][ITEM_PATH] if m != "parameters"] == ["get"]


def test_same_key_scheme_and_contract_schemas_as_the_ocr_document() -> None:
    assert DOCUMENT["components"]["securitySchemes"] == OCR_DOCUMENT["components"]["securitySchemes"]
    assert DOCUMENT["security"] == OCR_DOCUMENT["security"]
    ours = DOCUMENT["components"]["schemas"]
    for name, contract_schema in OCR_DOCUMENT["components"]["schemas"].items():
        if name not in ("FormRequest", "JsonRequest"):  # the OCR route's requests
            assert ours[name] == contract_schema, name


def test_documented_constants_are_the_code_s() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["UploadSlotRequest"]["properties"]["contentType"]["enum"] == list(UPLOAD_CONTENT_TYPES)
    pattern = schemas["UploadSlot"]["properties"]["uploadId"]["pattern"]
    assert pattern == f"^{UploadIdSigner.ID_PATTERN.pattern}$"
    assert schemas["ExpiredBody"]["properties"]["message"]["enum"] == [MSG_SLOT_EXPIRED]
    assert f"{DEFAULT_MAX_UPLOAD_BYTES} bytes" in DOCUMENT["paths"][UPLOADS_PATH]["post"]["description"]


# ---------------------------------------------------------------- the core on arbitrary input


@pytest.fixture
def core(aws: AwsStack, clock: FakeClock) -> KeyedApi:
    return served(uploads_api(clock))


def body_schema(path: str, method: str, status_code: int) -> dict[str, Any]:
    response = DOCUMENT["paths"][path][method]["responses"][str(status_code)]
    if "$ref" in response:
        response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return {**response["content"]["application/json"]["schema"], "components": DOCUMENT["components"]}


@given(
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "get", "BREW"]),
    tail=st.one_of(st.just(""), st.just("/"), st.text(max_size=50).map(lambda text: "/" + text)),
    key=st.sampled_from([APP_KEY, OTHER_APP_KEY]),
    content_type=st.one_of(
        st.none(), st.sampled_from(["application/json", "text/plain"]), st.text(max_size=20)
    ),
    body=st.one_of(
        st.binary(max_size=80),
        st.dictionaries(
            st.sampled_from(["contentType", "x"]),
            st.one_of(st.sampled_from(UPLOAD_CONTENT_TYPES), st.text(max_size=20), st.integers(), st.none()),
            max_size=2,
        ).map(lambda document: json.dumps(document).encode()),
    ),
    query=st.dictionaries(
        st.sampled_from(["t", "uploadId"]), st.lists(st.text(max_size=5), max_size=2), max_size=1
    ),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_core_answers_anything_with_a_documented_status_and_body(
    core: KeyedApi,
    method: str,
    tail: str,
    key: str,
    content_type: str | None,
    body: bytes,
    query: dict[str, list[str]],
) -> None:
    response = core.handle(
        request(method, UPLOADS_PATH + tail, key=key, body=body, content_type=content_type, query=query)
    )
    path = UPLOADS_PATH if tail == "" else ITEM_PATH
    method_name = "post" if path == UPLOADS_PATH else "get"
    assert response.headers["Content-Type"] == "application/json"
    documented = DOCUMENT["paths"][path][method_name]["responses"]
    assert str(response.status_code) in documented
    OAS30Validator(body_schema(path, method_name, response.status_code)).validate(json.loads(response.body))
