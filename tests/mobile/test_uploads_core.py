"""The uploads routes of the framework-free core, with in-memory ports."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from cnic_ocr.api.core import KeyedApi, OcrApi
from cnic_ocr.contract import CnicFields
from cnic_ocr.mobile.aws import UploadsSettings
from cnic_ocr.mobile.core import (
    EXPIRY_GRACE_SECONDS,
    KEY_ID_FIELD,
    PostPolicy,
    PresignedPost,
    SlotSettings,
    UploadIdSigner,
    UploadsApi,
    result_body,
)
from cnic_ocr.records.model import ProcessingRecord, RecordStatus

from .support import APP_KEY, FIELDS, OTHER_APP_KEY, FakeClock, body_of, request

SECRET = b"a-test-secret-that-is-long-enough-0123456789"
BUCKET = "bucket"


@dataclass
class FakePresigner:
    policies: list[PostPolicy] = field(default_factory=list)

    def presign_post(self, policy: PostPolicy) -> PresignedPost:
        self.policies.append(policy)
        return PresignedPost("https://bucket.s3.amazonaws.com/", {"key": policy.key, "policy": "e30="})


@dataclass
class FakeRecords:
    records: dict[str, ProcessingRecord] = field(default_factory=dict)
    error: Exception | None = None

    def get(self, record_id: str) -> ProcessingRecord | None:
        if self.error:
            raise self.error
        return self.records.get(record_id)


@dataclass
class FakeObjects:
    keys: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def exists(self, bucket: str, key: str) -> bool:
        self.asked.append(key)
        return key in self.keys


class UnusedRecognizer:
    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
        raise AssertionError("the uploads routes never recognize")


@dataclass
class Parts:
    api: UploadsApi
    front: KeyedApi  # the routes behind the key check, with the app keys
    presigner: FakePresigner
    records: FakeRecords
    objects: FakeObjects
    clock: FakeClock


@pytest.fixture
def parts() -> Parts:
    presigner, records, objects, clock = (
        FakePresigner(),
        FakeRecords(),
        FakeObjects(),
        FakeClock(1_900_000_000.0),
    )
    api = UploadsApi(
        presigner=presigner,
        records=records,
        objects=objects,
        signer=UploadIdSigner(SECRET),
        settings=SlotSettings(bucket=BUCKET),
        clock=clock,
    )
    return Parts(api, KeyedApi([api], api_keys=[APP_KEY, OTHER_APP_KEY]), presigner, records, objects, clock)


def record(upload_id: str, status: RecordStatus, **values: Any) -> ProcessingRecord:
    now = datetime.now(UTC)
    return ProcessingRecord(
        record_id=f"{BUCKET}/uploads/{upload_id}",
        bucket=BUCKET,
        object_key=f"uploads/{upload_id}",
        sequencer="0" * 64,
        status=status,
        created_at=now,
        updated_at=now,
        **values,
    )


def issue(parts: Parts, key: str = APP_KEY) -> str:
    response = parts.front.handle(request("POST", "/v1/uploads", key=key))
    assert response.status_code == 201
    upload_id: str = body_of(response)["uploadId"]
    return upload_id


def answer(parts: Parts, method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    response = parts.front.handle(request(method, path, **kwargs))
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, body_of(response), response.headers


def test_a_slot_names_its_key_type_size_and_lifetime(parts: Parts) -> None:
    status, body, headers = answer(parts, "POST", "/v1/uploads")
    assert status == 201 and headers["Location"] == f"/v1/uploads/{body['uploadId']}"
    [policy] = parts.presigner.policies
    assert policy == PostPolicy(
        bucket=BUCKET,
        key=f"uploads/{body['uploadId']}",
        content_type="image/jpeg",
        min_bytes=1,
        max_bytes=10 * 1024 * 1024,
        expires_in=300,
        metadata={KEY_ID_FIELD: UploadIdSigner(SECRET).key_id(APP_KEY)},
    )
    assert body == {"uploadId": body["uploadId"], "url": "https://bucket.s3.amazonaws.com/",
                    "fields": {"key": policy.key, "policy": "e30="}, "expiresIn": 300}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"", None, "image/jpeg"),
        (b"{}", "application/json", "image/jpeg"),
        (b'{"contentType": "image/webp"}', "application/json; charset=utf-8", "image/webp"),
        (b'{"contentType": " IMAGE/JPG "}', None, "image/jpeg"),
        (b'{"contentType": "image/x-ms-bmp"}', "application/json", "image/bmp"),
    ],
)
def test_slot_requests(parts: Parts, body: bytes, content_type: str | None, expected: str) -> None:
    status, _, _ = answer(parts, "POST", "/v1/uploads", body=body, content_type=content_type)
    assert status == 201 and parts.presigner.policies[-1].content_type == expected


INVALID_REQUEST = {"status": "INVALID_REQUEST", "message": "check request params"}
INVALID_FORMAT = {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"}


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"contentType": "image/gif"}', "application/json", INVALID_FORMAT),
        (b'{"contentType": "image/svg+xml"}', "application/json", INVALID_FORMAT),
        (b'{"contentType": "application/pdf"}', "application/json", INVALID_FORMAT),
        (b'{"contentType": 1}', "application/json", INVALID_REQUEST),
        (b'{"contentType": "image/png", "size": 5}', "application/json", INVALID_REQUEST),
        (b"[]", "application/json", INVALID_REQUEST),
        (b"{not json", "application/json", INVALID_REQUEST),
        (b'{"contentType": "image/png"}', "application/x-www-form-urlencoded", INVALID_REQUEST),
        (b"contentType=image/png", "application/x-www-form-urlencoded", INVALID_REQUEST),
        (b"{" + b" " * 2000 + b"}", "application/json", INVALID_REQUEST),
        (b"\xff\xfe", "application/json", INVALID_REQUEST),
    ],
)
def test_bad_slot_requests_get_400_with_a_contract_body(
    parts: Parts, body: bytes, content_type: str, expected: dict[str, str]
) -> None:
    assert answer(parts, "POST", "/v1/uploads", body=body, content_type=content_type)[:2] == (400, expected)
    assert not parts.presigner.policies


def test_query_parameters_are_refused_on_both_routes(parts: Parts) -> None:
    upload_id = issue(parts)
    query = {"t": ["1"]}
    assert answer(parts, "POST", "/v1/uploads", query=query)[:2] == (400, INVALID_REQUEST)
    assert answer(parts, "GET", f"/v1/uploads/{upload_id}", query=query)[:2] == (400, INVALID_REQUEST)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/uploads", "POST"),
        ("PUT", "/v1/uploads", "POST"),
        ("post", "/v1/uploads", "POST"),
        ("POST", "/v1/uploads/abc", "GET"),
        ("DELETE", "/v1/uploads/abc", "GET"),
        ("HEAD", "/v1/uploads/abc", "GET"),
    ],
)
def test_other_methods_get_405_with_allow(parts: Parts, method: str, path: str, allow: str) -> None:
    status, body, headers = answer(parts, method, path)
    assert (status, body, headers["Allow"]) == (405, {"message": "Method Not Allowed"}, allow)


@pytest.mark.parametrize(
    "path", ["/v1/uploads/", "/v1/uploads/a/b", "/v1/uploadsx", "/v1/pk_ocr/general", "/"]
)
def test_other_paths_get_404(parts: Parts, path: str) -> None:
    assert answer(parts, "GET", path)[:2] == (404, {"message": "Not Found"})


@pytest.mark.parametrize("key", [None, "", "wrong-key", APP_KEY + " "])
def test_a_missing_or_wrong_key_gets_403_before_anything(parts: Parts, key: str | None) -> None:
    assert answer(parts, "POST", "/v1/uploads", key=key)[:2] == (403, {"message": "Forbidden"})
    assert answer(parts, "GET", "/v1/nothing", key=key)[:2] == (403, {"message": "Forbidden"})
    assert not parts.presigner.policies


def test_keys_checked_upstream_still_need_to_be_present(parts: Parts) -> None:
    api = KeyedApi([parts.api], api_keys=None)
    assert api.handle(request("POST", "/v1/uploads", key=None)).status_code == 403
    assert api.handle(request("POST", "/v1/uploads", key="any-key-api-gateway-accepted")).status_code == 201


def test_records_in_the_contract_shape(parts: Parts) -> None:
    upload_id = issue(parts)
    key = f"{BUCKET}/uploads/{upload_id}"
    path = f"/v1/uploads/{upload_id}"
    cases = [
        (
            record(upload_id, RecordStatus.OK, fields=CnicFields(**FIELDS)),
            {"status": "OK", "message": FIELDS},
        ),
        (
            record(upload_id, RecordStatus.FAIL, message="not identity card"),
            {"status": "FAIL", "message": "not identity card"},
        ),
        (
            record(upload_id, RecordStatus.FAIL, message="check input image and retry"),
            {"status": "FAIL", "message": "check input image and retry"},
        ),
        (record(upload_id, RecordStatus.INVALID_REQUEST, message="check request params"), INVALID_REQUEST),
        (
            record(upload_id, RecordStatus.IMAGE_INVALID_FORMAT, message="image format not support"),
            INVALID_FORMAT,
        ),
        (
            record(upload_id, RecordStatus.IMAGE_INVALID_SIZE, message="image larger than 2M"),
            {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"},
        ),
        (
            record(
                upload_id, RecordStatus.ERROR, reason="OCR retries exhausted after 4 attempt(s): HTTP 503"
            ),
            {"status": "INNER_ERROR", "message": "Inner error, please retry later"},
        ),
    ]
    for stored, expected in cases:
        parts.records.records[key] = stored
        assert answer(parts, "GET", path)[:2] == (200, expected)
    assert not parts.objects.asked  # a record answers without asking S3


def test_reasons_never_reach_the_client() -> None:
    stored = record("x", RecordStatus.ERROR, reason="OCR answer outside the contract: secret detail")
    assert "secret detail" not in json.dumps(result_body(stored))


def test_pending_until_the_grace_after_expiry_then_s3_decides(parts: Parts) -> None:
    upload_id = issue(parts)
    path = f"/v1/uploads/{upload_id}"
    parts.clock.epoch += 300 + EXPIRY_GRACE_SECONDS
    assert answer(parts, "GET", path)[:2] == (200, {"status": "PENDING"})
    assert not parts.objects.asked  # no S3 call while the slot may still receive an image
    parts.clock.epoch += 1
    assert answer(parts, "GET", path)[1]["status"] == "EXPIRED"
    parts.objects.keys.add(f"uploads/{upload_id}")
    assert answer(parts, "GET", path)[:2] == (200, {"status": "PENDING"})


def test_failing_adapters_and_broken_records_are_inner_errors_without_detail(parts: Parts) -> None:
    upload_id = issue(parts)
    parts.records.error = RuntimeError("DynamoDB unavailable: table arn:aws:dynamodb:secret")
    status, body, _ = answer(parts, "GET", f"/v1/uploads/{upload_id}")
    assert (status, body) == (500, {"status": "INNER_ERROR", "message": "Inner error, please retry later"})
    parts.records.error = None
    parts.records.records[f"{BUCKET}/uploads/{upload_id}"] = record(upload_id, RecordStatus.OK)  # no fields
    assert answer(parts, "GET", f"/v1/uploads/{upload_id}")[0] == 500


def test_the_key_is_never_logged_nor_answered(parts: Parts, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cnic-ocr-api")
    upload_id = issue(parts)
    answers = [
        parts.front.handle(request("GET", f"/v1/uploads/{upload_id}")),
        parts.front.handle(request("GET", f"/v1/uploads/{upload_id}", key=OTHER_APP_KEY)),
    ]
    logged = [{"message": r.getMessage(), **r.__dict__} for r in caplog.records]
    assert {line["message"] for line in logged} >= {"upload slot issued", "request answered"}
    everything = repr(logged) + repr(parts.presigner.policies) + repr([a.body for a in answers])
    assert APP_KEY not in everything and OTHER_APP_KEY not in everything
    issued = next(line for line in logged if line["message"] == "upload slot issued")
    assert issued["api_key_id"] == UploadIdSigner(SECRET).key_id(APP_KEY)


def test_key_ids_are_keyed_hashes() -> None:
    signer = UploadIdSigner(SECRET)
    assert signer.key_id(APP_KEY) == signer.key_id(APP_KEY)
    assert signer.key_id(APP_KEY) != signer.key_id(OTHER_APP_KEY)
    assert signer.key_id(APP_KEY) != UploadIdSigner(SECRET + b"!").key_id(APP_KEY)
    assert len(signer.key_id(APP_KEY)) == 32 and APP_KEY not in signer.key_id(APP_KEY)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        UploadIdSigner(b"short")


def test_ids_carry_their_expiry_and_owner() -> None:
    signer = UploadIdSigner(SECRET)
    owner = signer.key_id(APP_KEY)
    upload_id = signer.issue(owner, 1_900_000_300)
    assert signer.ID_PATTERN.fullmatch(upload_id)
    assert signer.expiry_of(upload_id, owner) == 1_900_000_300
    assert signer.expiry_of(upload_id, signer.key_id(OTHER_APP_KEY)) is None
    assert UploadIdSigner(SECRET + b"rotated").expiry_of(upload_id, owner) is None
    assert len({signer.issue(owner, 1_900_000_300) for _ in range(50)}) == 50


def test_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPLOAD_BUCKET_NAME", "bucket-x")
    monkeypatch.setenv("RECORDS_TABLE_NAME", "records-x")
    monkeypatch.setenv("UPLOAD_ID_SECRET_NAME", "secret-x")
    monkeypatch.setenv("UPLOAD_SLOT_SECONDS", "120")
    settings = UploadsSettings()  # type: ignore[call-arg]
    assert (settings.upload_prefix, settings.upload_slot_seconds, settings.upload_max_bytes) == (
        "uploads/",
        120,
        10 * 1024 * 1024,
    )
    monkeypatch.setenv("UPLOAD_SLOT_SECONDS", "5")
    with pytest.raises(ValueError, match="upload_slot_seconds"):
        UploadsSettings()  # type: ignore[call-arg]
    monkeypatch.setenv("UPLOAD_SLOT_SECONDS", "300")
    monkeypatch.setenv("UPLOAD_PREFIX", "/uploads/")
    with pytest.raises(ValueError, match="never starts with '/'"):
        UploadsSettings()  # type: ignore[call-arg]


def test_without_more_routes_the_ocr_api_is_unchanged(parts: Parts) -> None:
    plain = OcrApi(UnusedRecognizer(), api_keys=[APP_KEY])
    assert plain.handle(request("POST", "/v1/uploads")).status_code == 404
    combined = OcrApi(UnusedRecognizer(), api_keys=[APP_KEY], more_routes=parts.api)
    assert combined.handle(request("POST", "/v1/uploads", key="wrong")).status_code == 403
    assert combined.handle(request("POST", "/v1/uploads")).status_code == 201
    assert combined.handle(request("GET", "/v1/pk_ocr/general")).status_code == 405


def test_one_key_check_and_one_log_shape_alone_or_beside_the_ocr_route(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    """On Lambda the routes are served alone, locally beside the OCR route: the same front."""

    caplog.set_level(logging.INFO, logger="cnic-ocr-api")
    alone = KeyedApi([parts.api], api_keys=None)
    beside = OcrApi(UnusedRecognizer(), api_keys=[APP_KEY], more_routes=parts.api)
    for front in (alone, beside):
        assert front.handle(request("POST", "/v1/uploads")).status_code == 201
        assert front.handle(request("GET", "/v1/uploads/x", key=None)).status_code == 403
    answered = [r.__dict__ for r in caplog.records if r.getMessage() == "request answered"]
    shape = {"request_id", "method", "path", "http_status", "ocr_status", "body_bytes", "recognize_ms"}
    assert [shape <= set(line) and "upload_status" not in line for line in answered] == [True] * 4
    assert [line["http_status"] for line in answered] == [201, 403, 201, 403]
