"""The framework-free core, with a fake recognizer: parsing, keys, routing, statuses, errors."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from cnic_ocr.api.core import MAX_IMAGE_REQUEST_BYTES, MAX_REQUEST_BODY_BYTES, ApiResponse, OcrApi, logger
from cnic_ocr.contract import OcrStatus, error_body

from .support import API_KEY, OK_FIELDS, OTHER_KEY, FakeRecognizer, b64, make_request, png_bytes

IMAGE = png_bytes()
#: Bytes whose base64 is full of "+" and "/", the characters form encoding mangles.
PLUS_SLASH = bytes([0xFB, 0xEF, 0xBE, 0xFF, 0xFF, 0xFF]) * 20
INVALID_REQUEST = {"status": "INVALID_REQUEST", "message": "check request params"}


def form(**fields: str) -> bytes:
    return urlencode(fields).encode("ascii")


def body_of(response: ApiResponse) -> Any:
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def test_commercial_form_request_returns_the_recognizer_answer_verbatim(
    api: OcrApi, fake: FakeRecognizer
) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE))))
    assert response.status_code == 200
    assert body_of(response) == {"status": "OK", "message": OK_FIELDS}
    assert list(body_of(response)) == ["status", "message"]
    assert fake.calls == [(IMAGE, False)]
    assert response.headers["X-Request-Id"] == "req-test-1"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"queue;dur=[\d.]+, recognize;dur=[\d.]+", response.headers["Server-Timing"])


def test_json_request(api: OcrApi, fake: FakeRecognizer) -> None:
    body = json.dumps({"img": b64(IMAGE)}).encode()
    response = api.handle(make_request(body, content_type="application/json; charset=utf-8"))
    assert (response.status_code, body_of(response)) == (200, {"status": "OK", "message": OK_FIELDS})
    assert fake.calls == [(IMAGE, False)]


def test_request_without_content_type_is_read_as_a_form(api: OcrApi, fake: FakeRecognizer) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE)), content_type=None))
    assert body_of(response)["status"] == "OK"
    assert fake.calls == [(IMAGE, False)]


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "FAIL", "message": "check input image and retry"},
        {"status": "FAIL", "message": "not identity card"},
        {"status": "INVALID_REQUEST", "message": "check request params"},
        {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"},
        {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"},
    ],
)
def test_every_non_error_status_is_http_200_with_its_verbatim_body(
    api: OcrApi, fake: FakeRecognizer, answer: dict[str, str]
) -> None:
    fake.answer = answer
    response = api.handle(make_request(form(img=b64(IMAGE))))
    assert (response.status_code, body_of(response)) == (200, answer)


def test_inner_error_from_the_recognizer_is_http_500(api: OcrApi, fake: FakeRecognizer) -> None:
    fake.answer = {"status": "INNER_ERROR", "message": "Inner error, please retry later"}
    response = api.handle(make_request(form(img=b64(IMAGE))))
    assert (response.status_code, body_of(response)) == (500, fake.answer)


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(lambda s: "\n".join(s[i : i + 76] for i in range(0, len(s), 76)), id="lf-wrapped"),
        pytest.param(
            lambda s: "\r\n".join(s[i : i + 64] for i in range(0, len(s), 64)) + "\r\n", id="crlf-wrapped"
        ),
        pytest.param(lambda s: "data:image/png;base64," + s, id="data-uri"),
        pytest.param(lambda s: "DATA:image/JPEG;base64," + s, id="data-uri-upper"),
        pytest.param(lambda s: "\t" + s + "\r\n", id="surrounding-whitespace"),
    ],
)
def test_tolerated_base64_variants(api: OcrApi, fake: FakeRecognizer, encoded: Any) -> None:
    value = encoded(b64(PLUS_SLASH))
    api.handle(make_request(form(img=value)))
    api.handle(make_request(json.dumps({"img": value}).encode(), content_type="application/json"))
    assert fake.calls == [(PLUS_SLASH, False), (PLUS_SLASH, False)]


def test_plus_signs_sent_without_percent_encoding_survive(api: OcrApi, fake: FakeRecognizer) -> None:
    raw = b64(PLUS_SLASH)
    assert "+" in raw and "/" in raw
    # curl -d "img=$(base64 card.jpg)": '+' is not encoded, so form decoding turns it into ' '.
    response = api.handle(make_request(b"img=" + raw.encode()))
    assert body_of(response)["status"] == "OK"
    assert fake.calls == [(PLUS_SLASH, False)]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"", "application/x-www-form-urlencoded", id="empty-body"),
        pytest.param(b"image=" + b64(IMAGE).encode(), "application/x-www-form-urlencoded", id="missing-img"),
        pytest.param(b"img=", "application/x-www-form-urlencoded", id="empty-img"),
        pytest.param(b"img=%20%0A%0D", "application/x-www-form-urlencoded", id="whitespace-img"),
        pytest.param(
            b"img=data%3Aimage%2Fpng%3Bbase64%2C", "application/x-www-form-urlencoded", id="prefix-only"
        ),
        pytest.param(b"img=%21%21%21%21", "application/x-www-form-urlencoded", id="not-base64"),
        pytest.param(b"img=QUJD%3D", "application/x-www-form-urlencoded", id="surplus-padding"),
        pytest.param(
            b"img=QUJD%3D%3D%3D%3D", "application/x-www-form-urlencoded", id="surplus-padding-quantum"
        ),
        pytest.param(b"img=QU%3DJ", "application/x-www-form-urlencoded", id="padding-inside"),
        pytest.param(b"img=QUJDRA", "application/x-www-form-urlencoded", id="missing-padding"),
        pytest.param(b"img=QUI%3DQUI%3D", "application/x-www-form-urlencoded", id="data-after-padding"),
        pytest.param(
            b"img=" + quote(b64(IMAGE) + "#junk").encode(),
            "application/x-www-form-urlencoded",
            id="trailing-junk",
        ),
        pytest.param(
            b"img=" + quote("-_" + b64(IMAGE)[2:]).encode(),
            "application/x-www-form-urlencoded",
            id="urlsafe-alphabet",
        ),
        pytest.param(form(img=b64(IMAGE), junk="x"), "application/x-www-form-urlencoded", id="extra-field"),
        pytest.param(
            form(img=b64(IMAGE)) + b"&junk", "application/x-www-form-urlencoded", id="extra-bare-word"
        ),
        pytest.param(
            form(img=b64(IMAGE)) + b"&img=QUJD", "application/x-www-form-urlencoded", id="img-twice"
        ),
        pytest.param(b"img=\xff\xfe", "application/x-www-form-urlencoded", id="non-ascii-form"),
        pytest.param(b"img=%FF%FE", "application/x-www-form-urlencoded", id="non-utf8-escape"),
        pytest.param(b"a=1&" * 20, "application/x-www-form-urlencoded", id="too-many-fields"),
        pytest.param(
            form(img=b64(IMAGE), details="yes"), "application/x-www-form-urlencoded", id="bad-details"
        ),
        pytest.param(b'{"img": ', "application/json", id="broken-json"),
        pytest.param(b'["img"]', "application/json", id="json-array"),
        pytest.param(b'{"img": 12}', "application/json", id="json-img-number"),
        pytest.param(b'{"img": null}', "application/json", id="json-img-null"),
        pytest.param(b"{}", "application/json", id="json-no-img"),
        pytest.param(
            json.dumps({"img": b64(IMAGE), "extra": 1}).encode(), "application/json", id="json-extra-key"
        ),
        pytest.param(
            json.dumps({"img": b64(IMAGE), "details": "true"}).encode(),
            "application/json",
            id="json-details-string",
        ),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "application/json", id="json-too-deep"),
        pytest.param(b64(IMAGE).encode(), "text/plain", id="text-plain"),
        pytest.param(b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", id="multipart"),
    ],
)
def test_invalid_requests_are_answered_without_calling_the_recognizer(
    api: OcrApi, fake: FakeRecognizer, body: bytes, content_type: str
) -> None:
    response = api.handle(make_request(body, content_type=content_type))
    assert (response.status_code, body_of(response)) == (200, INVALID_REQUEST)
    assert fake.calls == []


@pytest.mark.parametrize(
    "query",
    [{"details": ["maybe"]}, {"details": ["true", "true"]}, {"other": ["1"]}, {"details": [""]}],
)
def test_invalid_query_is_invalid_request(
    api: OcrApi, fake: FakeRecognizer, query: dict[str, list[str]]
) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE)), query=query))
    assert body_of(response) == INVALID_REQUEST
    assert fake.calls == []


def test_details_said_twice_is_invalid_request(api: OcrApi, fake: FakeRecognizer) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE), details="true"), query={"details": ["true"]}))
    assert body_of(response) == INVALID_REQUEST


@pytest.mark.parametrize(
    ("body", "content_type", "query"),
    [
        pytest.param(
            form(img=b64(IMAGE)), "application/x-www-form-urlencoded", {"details": ["true"]}, id="query"
        ),
        pytest.param(
            form(img=b64(IMAGE)), "application/x-www-form-urlencoded", {"details": ["TRUE"]}, id="query-upper"
        ),
        pytest.param(
            form(img=b64(IMAGE), details="true"), "application/x-www-form-urlencoded", {}, id="form"
        ),
        pytest.param(
            json.dumps({"img": b64(IMAGE), "details": True}).encode(), "application/json", {}, id="json"
        ),
    ],
)
def test_details_true_adds_the_recognizer_details(
    api: OcrApi, fake: FakeRecognizer, body: bytes, content_type: str, query: dict[str, list[str]]
) -> None:
    fake.answer = {"status": "OK", "message": dict(OK_FIELDS), "details": {"timings": {"total_ms": 812.5}}}
    response = api.handle(make_request(body, content_type=content_type, query=query))
    assert body_of(response) == fake.answer
    assert fake.calls == [(IMAGE, True)]


def test_without_details_the_body_is_exactly_the_contract(api: OcrApi, fake: FakeRecognizer) -> None:
    fake.answer = {"status": "OK", "message": dict(OK_FIELDS), "details": {"x": 1}}
    response = api.handle(make_request(form(img=b64(IMAGE), details="false")))
    assert body_of(response) == {"status": "OK", "message": OK_FIELDS}
    assert fake.calls == [(IMAGE, False)]


@pytest.mark.parametrize("key", [None, "", "wrong", API_KEY + "x", API_KEY[:-1], API_KEY.upper(), "ключ"])
def test_missing_or_wrong_key_is_403_and_the_image_is_not_processed(
    api: OcrApi, fake: FakeRecognizer, key: str | None
) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE)), key=key))
    assert (response.status_code, body_of(response)) == (403, {"message": "Forbidden"})
    assert fake.calls == []


def test_any_configured_key_is_accepted_and_the_header_name_is_case_insensitive(
    api: OcrApi, fake: FakeRecognizer
) -> None:
    request = make_request(form(img=b64(IMAGE)), key=None)
    for headers in ({"x-api-key": API_KEY}, {"X-Api-Key": OTHER_KEY}):
        assert api.handle(dataclasses.replace(request, headers=headers)).status_code == 200
    assert len(fake.calls) == 2


def test_key_is_checked_before_routing(api: OcrApi) -> None:
    response = api.handle(make_request(key=None, method="GET", path="/admin"))
    assert (response.status_code, body_of(response)) == (403, {"message": "Forbidden"})


def test_keys_checked_upstream(fake: FakeRecognizer) -> None:
    api = OcrApi(fake, api_keys=None)
    response = api.handle(make_request(form(img=b64(IMAGE)), key=None))
    assert body_of(response)["status"] == "OK"


def test_an_empty_key_list_is_refused(fake: FakeRecognizer) -> None:
    with pytest.raises(ValueError, match="api_keys is empty"):
        OcrApi(fake, api_keys=[])


@pytest.mark.parametrize(
    "path", ["/", "/v1/pk_ocr/general/", "/v1/pk_ocr", "/V1/PK_OCR/GENERAL", "/v1/pk_ocr/general/../x"]
)
def test_other_paths_are_404(api: OcrApi, fake: FakeRecognizer, path: str) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE)), path=path))
    assert (response.status_code, body_of(response)) == (404, {"message": "Not Found"})
    assert fake.calls == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post"])
def test_other_methods_are_405_with_allow(api: OcrApi, fake: FakeRecognizer, method: str) -> None:
    response = api.handle(make_request(form(img=b64(IMAGE)), method=method))
    assert (response.status_code, body_of(response)) == (405, {"message": "Method Not Allowed"})
    assert response.headers["Allow"] == "POST"
    assert fake.calls == []


def test_body_over_the_cap_is_413_with_the_size_status(fake: FakeRecognizer) -> None:
    api = OcrApi(fake, api_keys=[API_KEY], max_body_bytes=1000)
    response = api.handle(make_request(b"img=" + b"A" * 1000))
    assert (response.status_code, body_of(response)) == (413, error_body(OcrStatus.IMAGE_INVALID_SIZE))
    assert fake.calls == []
    assert api.handle(make_request(b"img=" + b"A" * 996)).status_code == 200


def test_a_body_too_big_for_a_2_mib_image_is_200_invalid_size_unparsed(fake: FakeRecognizer) -> None:
    """Issue 12.5: the contract's answer to an oversize image, not 413, up to the HTTP cap."""
    api = OcrApi(fake, api_keys=[API_KEY], max_image_request_bytes=1000, max_body_bytes=5000)
    response = api.handle(make_request(b"img=" + b"A" * 1000, content_type="text/plain"))
    assert (response.status_code, body_of(response)) == (200, error_body(OcrStatus.IMAGE_INVALID_SIZE))
    assert fake.calls == []
    assert api.handle(make_request(b"img=" + b"A" * 4997)).status_code == 413


def test_default_cap_holds_the_largest_legitimate_request() -> None:
    """2 MiB of '+'/'/'-free base64, percent-encoded and wrapped at 76 columns, fits under the cap."""
    encoded_len = (2 * 1024 * 1024 + 2) // 3 * 4
    wrapped = encoded_len + encoded_len // 76 * len("%0D%0A")
    percent_encoded = wrapped + encoded_len * 2 // 64 * 2  # '+' and '/' become %2B/%2F
    assert len("img=") + percent_encoded < MAX_IMAGE_REQUEST_BYTES < MAX_REQUEST_BODY_BYTES
    assert MAX_REQUEST_BODY_BYTES >= 10_000_000  # "at least 10 MB" answered with the contract's body


def test_unexpected_error_is_500_inner_error_logged_with_the_request_id(
    api: OcrApi, fake: FakeRecognizer, caplog: pytest.LogCaptureFixture
) -> None:
    fake.error = RuntimeError("engine exploded at /opt/secret/path")
    response = api.handle(make_request(form(img=b64(IMAGE))))
    assert (response.status_code, body_of(response)) == (
        500,
        {"status": "INNER_ERROR", "message": "Inner error, please retry later"},
    )
    assert b"secret" not in response.body and b"Traceback" not in response.body
    logged = [json.loads(line) for line in json_log_lines(caplog)]
    errors = [record for record in logged if record["message"] == "unexpected error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-test-1"
    assert errors[0]["exception_name"] == "RuntimeError"


def json_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The records as the service writes them (Powertools' JSON formatter)."""
    formatter = logger.registered_formatter
    return [formatter.format(record) for record in caplog.records]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": "OK", "message": {**OK_FIELDS, "idNumber": "3310074116924"}}, id="bad-field"),
        pytest.param({"status": "OK", "message": "fine"}, id="ok-without-fields"),
        pytest.param({"status": "FAIL", "message": "something else"}, id="non-contract-message"),
        pytest.param({"status": "MAYBE", "message": "check request params"}, id="unknown-status"),
        pytest.param({"message": "check request params"}, id="no-status"),
    ],
)
def test_a_recognizer_answer_that_breaks_the_contract_is_inner_error(
    api: OcrApi, fake: FakeRecognizer, answer: dict[str, Any]
) -> None:
    fake.answer = answer
    response = api.handle(make_request(form(img=b64(IMAGE))))
    assert (response.status_code, body_of(response)["status"]) == (500, "INNER_ERROR")


def test_unserialisable_details_are_inner_error(api: OcrApi, fake: FakeRecognizer) -> None:
    fake.answer = {"status": "FAIL", "message": "not identity card", "details": {"score": float("nan")}}
    response = api.handle(make_request(form(img=b64(IMAGE), details="true")))
    assert (response.status_code, body_of(response)["status"]) == (500, "INNER_ERROR")


def test_the_request_log_line_carries_no_personal_data(
    api: OcrApi, fake: FakeRecognizer, caplog: pytest.LogCaptureFixture
) -> None:
    api.handle(make_request(form(img=b64(IMAGE), details="true")))
    lines = json_log_lines(caplog)
    answered = [json.loads(line) for line in lines if '"request answered"' in line]
    assert len(answered) == 1
    assert answered[0]["ocr_status"] == "OK" and answered[0]["http_status"] == 200
    out = "\n".join(lines)
    for name in ("idNumber", "name", "fatherName", "birthDay", "issueDay", "expiryDay"):
        assert OK_FIELDS[name] not in out
    assert b64(IMAGE)[:40] not in out


def test_non_ascii_img_in_json_is_invalid_request(api: OcrApi, fake: FakeRecognizer) -> None:
    """Found by the fuzzer: a str b64decode refuses with ValueError, not binascii.Error."""
    body = json.dumps({"img": "\u0091\u0092\udb0b\udc06\u009fs"}).encode()
    response = api.handle(make_request(body, content_type="application/json"))
    assert (response.status_code, body_of(response)) == (200, INVALID_REQUEST)


def test_recognition_slots_bound_the_recognitions_running_at_once() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    class SlowRecognizer(FakeRecognizer):
        def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return super().recognize(data, details=details)

    api = OcrApi(SlowRecognizer(), api_keys=[API_KEY], recognition_slots=2)
    responses: list[ApiResponse] = []
    threads = [
        threading.Thread(target=lambda: responses.append(api.handle(make_request(form(img=b64(IMAGE))))))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [200] * 6
    assert peak == 2
