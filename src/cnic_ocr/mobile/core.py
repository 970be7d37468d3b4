"""The mobile uploads API, framework-free: ask for an upload slot, post the photo to S3, poll the result.

A mobile app never streams photos through a backend and never holds AWS credentials.
``POST /v1/uploads`` hands out an S3 presigned POST for one object key under the upload
prefix; the app posts the photo straight to S3; the upload pipeline (``cnic_ocr.pipeline``)
records the OCR answer under ``recordId = <bucket>/<key>``; ``GET /v1/uploads/{uploadId}``
answers ``{"status": "PENDING"}`` until that record exists, then the record in the OCR
contract's body shape, so a client parses one shape.

Tenancy without writing anything at POST time: the upload id carries an HMAC that binds it to
the id of the API key that asked for it (an HMAC of the key, never the key) and to the slot's
expiry. Another key's look-up fails that check and gets the same 404 as an unknown id, so the
fields are only ever shown to the key that owns the upload. The key id is also stored on the
S3 object as metadata (pinned by the POST policy), for audit.

Served behind the one key check of ``cnic_ocr.api.core.KeyedApi``: beside the OCR route on the
local server (``OcrApi(..., more_routes=UploadsApi(...))``), alone on Lambda behind API Gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any, Protocol

from cnic_ocr.api.core import (
    JSON_MEDIA_TYPE,
    ApiRequest,
    InvalidRequestError,
    RouteAnswer,
    http_error_response,
    json_response,
    logger,
    media_type_of,
)
from cnic_ocr.clock import Clock
from cnic_ocr.contract import MSG_NOT_IDENTITY_CARD, OcrStatus, error_body, ok_body
from cnic_ocr.records.model import ProcessingRecord, RecordStatus
from cnic_ocr.upload_bucket import DEFAULT_UPLOAD_PREFIX, relative_prefix

UPLOADS_PATH = "/v1/uploads"
_UPLOAD_PATH = re.compile(r"/v1/uploads/(?P<upload_id>[^/]+)")

#: Image types a slot can be asked for: what the recognizer reads (jpeg, png, bmp) and what the
#: pipeline converts (HEIC/HEIF, WebP). The POST policy pins the one asked for (a policy cannot
#: say "one of"), so S3 refuses a post declaring another type.
UPLOAD_CONTENT_TYPES = ("image/jpeg", "image/png", "image/bmp", "image/heic", "image/heif", "image/webp")
DEFAULT_CONTENT_TYPE = "image/jpeg"
_CONTENT_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/x-ms-bmp": "image/bmp"}
CONTENT_TYPE_FIELD = "contentType"

MIN_UPLOAD_BYTES = 1
#: The pipeline downscales what it receives to what the OCR API takes, so phones may send their
#: photos as they are (12 MP JPEGs are 3-5 MB, HEICs 1-3 MB).
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_SLOT_SECONDS = 300
#: S3 metadata (a POST form field pinned by the policy) holding the id of the key that asked.
KEY_ID_FIELD = "x-amz-meta-api-key-id"
#: After a slot expires, how long an absent object still counts as an upload in flight before the
#: slot is reported EXPIRED (a design margin for a slow client's post, not a measured figure).
EXPIRY_GRACE_SECONDS = 600
#: A slot request is ``{}`` or ``{"contentType": ...}``; anything longer is not one.
MAX_SLOT_REQUEST_BYTES = 1024


class SlotStatus(StrEnum):
    """Answers of ``GET /v1/uploads/{id}`` beside the contract's statuses."""

    PENDING = "PENDING"
    EXPIRED = "EXPIRED"


MSG_SLOT_EXPIRED = "no image arrived before the upload slot expired"


class UnsupportedImageTypeError(Exception):
    """The slot asks for a content type outside :data:`UPLOAD_CONTENT_TYPES`."""


class RecordBreaksContractError(RuntimeError):
    """A stored record cannot be shown in the contract's shape (answered INNER_ERROR)."""


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """What the presigned POST must allow: one key, one content type, a size range, a lifetime."""

    bucket: str
    key: str
    content_type: str
    min_bytes: int
    max_bytes: int
    expires_in: int
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PresignedPost:
    """Where to post and the form fields to send before the ``file`` field."""

    url: str
    fields: dict[str, str]


class Presigner(Protocol):
    def presign_post(self, policy: PostPolicy) -> PresignedPost: ...


class RecordLookup(Protocol):
    """The records the pipeline writes (``recordId`` = ``<bucket>/<key>``; ``cnic_ocr.records``)."""

    def get(self, record_id: str) -> ProcessingRecord | None: ...


class UploadedObjects(Protocol):
    def exists(self, bucket: str, key: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class SlotSettings:
    bucket: str
    prefix: str = DEFAULT_UPLOAD_PREFIX
    slot_seconds: int = DEFAULT_SLOT_SECONDS
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    def __post_init__(self) -> None:
        if self.slot_seconds < 1:
            raise ValueError("slot_seconds must be at least 1")
        if self.max_bytes < MIN_UPLOAD_BYTES:
            raise ValueError(f"max_bytes must be at least {MIN_UPLOAD_BYTES}")
        relative_prefix(self.prefix)


class UploadIdSigner:
    """Upload ids that prove which key asked for them and until when the slot is open.

    An id is base64url (no padding) of 12 random bytes, the expiry (uint32 epoch seconds) and
    the first 16 bytes of HMAC-SHA256(secret, key id | nonce | expiry). Rotating the secret
    turns every id issued before into an unknown one (404).
    """

    _NONCE_BYTES = 12
    _TAG_BYTES = 16
    _PACKED_BYTES = _NONCE_BYTES + 4 + _TAG_BYTES
    ID_LENGTH = 43  # base64 of 32 bytes without its one padding character
    ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the upload id secret must be at least 16 bytes")
        self._secret = secret

    def key_id(self, api_key: str) -> str:
        """The stored id of an API key: not the key, and not checkable against guesses without the secret."""
        digest = hmac.new(self._secret, b"cnic-ocr/api-key-id/v1\0" + api_key.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]

    def issue(self, key_id: str, expires_at: int) -> str:
        nonce = secrets.token_bytes(self._NONCE_BYTES)
        expiry = struct.pack(">I", expires_at)
        packed = nonce + expiry + self._tag(key_id, nonce, expiry)
        return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")

    def expiry_of(self, upload_id: str, key_id: str) -> int | None:
        """The slot's expiry if ``upload_id`` was issued to ``key_id`` by this secret, else None."""
        if not self.ID_PATTERN.fullmatch(upload_id):
            return None
        packed = base64.urlsafe_b64decode(upload_id + "=")
        # Two spellings decode to the same bytes when the last character's unused bits differ;
        # only the issued one names the object, so the others are unknown ids.
        if base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=") != upload_id:
            return None
        nonce = packed[: self._NONCE_BYTES]
        expiry = packed[self._NONCE_BYTES : self._NONCE_BYTES + 4]
        if not hmac.compare_digest(packed[self._NONCE_BYTES + 4 :], self._tag(key_id, nonce, expiry)):
            return None
        (expires_at,) = struct.unpack(">I", expiry)
        return int(expires_at)

    def _tag(self, key_id: str, nonce: bytes, expiry: bytes) -> bytes:
        message = b"cnic-ocr/upload-id/v1\0" + key_id.encode("ascii") + b"\0" + nonce + expiry
        return hmac.new(self._secret, message, hashlib.sha256).digest()[: self._TAG_BYTES]


class UploadsApi:
    """``POST /v1/uploads`` and ``GET /v1/uploads/{uploadId}``: routes served behind
    :class:`~cnic_ocr.api.core.KeyedApi` (its key check, its log line), on Lambda alone and
    locally beside the OCR route."""

    def __init__(
        self,
        *,
        presigner: Presigner,
        records: RecordLookup,
        objects: UploadedObjects,
        signer: UploadIdSigner,
        settings: SlotSettings,
        clock: Clock,
    ) -> None:
        self._presigner = presigner
        self._records = records
        self._objects = objects
        self._signer = signer
        self._settings = settings
        self._clock = clock

    def serves(self, path: str) -> bool:
        return path == UPLOADS_PATH or path.startswith(UPLOADS_PATH + "/")

    def answer(self, request: ApiRequest, api_key: str) -> RouteAnswer:
        """Route, check the parameters, answer. Raises only on a failing adapter (-> INNER_ERROR)."""
        request_id = request.request_id
        if not api_key:  # no key, no owner (only possible when the key was "checked upstream")
            return RouteAnswer(http_error_response(HTTPStatus.FORBIDDEN, request_id))
        item = _UPLOAD_PATH.fullmatch(request.path)
        if request.path != UPLOADS_PATH and item is None:
            return RouteAnswer(http_error_response(HTTPStatus.NOT_FOUND, request_id))
        allowed = "POST" if item is None else "GET"
        if request.method != allowed:
            return RouteAnswer(
                http_error_response(HTTPStatus.METHOD_NOT_ALLOWED, request_id, allow=[allowed])
            )
        if request.query:  # no query parameter is defined on either route
            return RouteAnswer(json_response(400, error_body(OcrStatus.INVALID_REQUEST), request_id))
        key_id = self._signer.key_id(api_key)
        if item is None:
            return self._issue_slot(request, key_id)
        return self._look_up(item["upload_id"], key_id, request_id)

    def _issue_slot(self, request: ApiRequest, key_id: str) -> RouteAnswer:
        request_id = request.request_id
        try:
            content_type = requested_content_type(request.headers.get("content-type", ""), request.body)
        except InvalidRequestError:
            return RouteAnswer(json_response(400, error_body(OcrStatus.INVALID_REQUEST), request_id))
        except UnsupportedImageTypeError:
            return RouteAnswer(json_response(400, error_body(OcrStatus.IMAGE_INVALID_FORMAT), request_id))
        settings = self._settings
        expires_at = int(self._clock.now_epoch()) + settings.slot_seconds
        upload_id = self._signer.issue(key_id, expires_at)
        post = self._presigner.presign_post(
            PostPolicy(
                bucket=settings.bucket,
                key=self.object_key(upload_id),
                content_type=content_type,
                min_bytes=MIN_UPLOAD_BYTES,
                max_bytes=settings.max_bytes,
                expires_in=settings.slot_seconds,
                metadata={KEY_ID_FIELD: key_id},
            )
        )
        logger.info(
            "upload slot issued",
            extra={"request_id": request_id, "upload_id": upload_id, "api_key_id": key_id},
        )
        body = {
            "uploadId": upload_id,
            "url": post.url,
            "fields": post.fields,
            "expiresIn": settings.slot_seconds,
        }
        location = {"Location": f"{UPLOADS_PATH}/{upload_id}"}
        return RouteAnswer(json_response(HTTPStatus.CREATED, body, request_id, location))

    def _look_up(self, upload_id: str, key_id: str, request_id: str) -> RouteAnswer:
        expires_at = self._signer.expiry_of(upload_id, key_id)
        if expires_at is None:  # unknown, or another key's: the same answer
            return RouteAnswer(http_error_response(HTTPStatus.NOT_FOUND, request_id))
        key = self.object_key(upload_id)
        record = self._records.get(f"{self._settings.bucket}/{key}")
        if record is not None:
            body = result_body(record)
        elif self._clock.now_epoch() <= expires_at + EXPIRY_GRACE_SECONDS or self._objects.exists(
            self._settings.bucket, key
        ):
            body = {"status": SlotStatus.PENDING.value}
        else:
            body = {"status": SlotStatus.EXPIRED.value, "message": MSG_SLOT_EXPIRED}
        return RouteAnswer(json_response(200, body, request_id), str(body["status"]))

    def object_key(self, upload_id: str) -> str:
        return self._settings.prefix + upload_id


def requested_content_type(content_type: str, body: bytes) -> str:
    """The image type a slot is asked for: an empty body means JPEG, else ``{"contentType": ...}``."""
    if len(body) > MAX_SLOT_REQUEST_BYTES:
        raise InvalidRequestError
    if not body.strip():
        return DEFAULT_CONTENT_TYPE
    if media_type_of(content_type) not in ("", JSON_MEDIA_TYPE):
        raise InvalidRequestError
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequestError from None
    if not isinstance(document, dict) or not document.keys() <= {CONTENT_TYPE_FIELD}:
        raise InvalidRequestError
    asked = document.get(CONTENT_TYPE_FIELD, DEFAULT_CONTENT_TYPE)
    if not isinstance(asked, str):
        raise InvalidRequestError
    value = asked.strip().lower()
    value = _CONTENT_TYPE_ALIASES.get(value, value)
    if value not in UPLOAD_CONTENT_TYPES:
        raise UnsupportedImageTypeError
    return value


def result_body(record: ProcessingRecord) -> dict[str, Any]:
    """A record in the contract's shape. ERROR (no final answer yet) is INNER_ERROR: poll again later."""
    if record.status is RecordStatus.OK:
        if record.fields is None:
            raise RecordBreaksContractError(f"OK record {record.record_id!r} has no fields")
        return ok_body(record.fields)
    if record.status is RecordStatus.ERROR:
        return error_body(OcrStatus.INNER_ERROR)
    status = OcrStatus(record.status.value)
    # FAIL has two verbatim messages; every other status has one (error_body's default).
    message = record.message if status is OcrStatus.FAIL and record.message == MSG_NOT_IDENTITY_CARD else None
    return error_body(status, message)
