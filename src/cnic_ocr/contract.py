"""The commercial "Pakistan ID Card OCR" API contract, shared by the server and its clients.

Statuses and messages are verbatim from the contract (docs/contract.md): clients written for the
commercial API compare them as strings, so they must never change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: The contract's only route: ``POST`` with the image in the form field ``img``.
OCR_PATH = "/v1/pk_ocr/general"


class OcrStatus(StrEnum):
    OK = "OK"
    FAIL = "FAIL"
    INVALID_REQUEST = "INVALID_REQUEST"
    IMAGE_INVALID_FORMAT = "IMAGE_INVALID_FORMAT"
    IMAGE_INVALID_SIZE = "IMAGE_INVALID_SIZE"
    INNER_ERROR = "INNER_ERROR"


MSG_RECOGNITION_FAILED = "check input image and retry"
MSG_NOT_IDENTITY_CARD = "not identity card"
MSG_INVALID_REQUEST = "check request params"
MSG_INVALID_FORMAT = "image format not support"
MSG_INVALID_SIZE = "image larger than 2M"
MSG_INNER_ERROR = "Inner error, please retry later"

#: The message each non-OK status carries (FAIL has two; the recognition one is the default).
STATUS_MESSAGES: dict[OcrStatus, str] = {
    OcrStatus.FAIL: MSG_RECOGNITION_FAILED,
    OcrStatus.INVALID_REQUEST: MSG_INVALID_REQUEST,
    OcrStatus.IMAGE_INVALID_FORMAT: MSG_INVALID_FORMAT,
    OcrStatus.IMAGE_INVALID_SIZE: MSG_INVALID_SIZE,
    OcrStatus.INNER_ERROR: MSG_INNER_ERROR,
}

#: Statuses the commercial provider charges for.
BILLED_STATUSES = frozenset({OcrStatus.OK, OcrStatus.FAIL})

#: Largest decoded image the contract accepts ("image larger than 2M").
MAX_IMAGE_BYTES = 2 * 1024 * 1024

#: The success example of the contract, verbatim (a fictitious person).
EXAMPLE_FIELDS: dict[str, str] = {
    "idNumber": "33100-7411692-4",
    "name": "Janat Mirza",
    "fatherName": "Mirza Anjum Kamal",
    "gender": "F",
    "country": "Pakistan",
    "birthDay": "20010914",
    "issueDay": "20200309",
    "expiryDay": "20300309",
}

IdNumber = Annotated[str, StringConstraints(pattern=r"^\d{5}-\d{7}-\d$")]
CompactDate = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
#: A birth date the card prints as a year only: the year, as printed (no day or month invented).
BirthYear = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]


class CnicFields(BaseModel):
    """The eight fields of a successful answer, in the contract's formats.

    ``expiryDay`` of a lifetime card is the string ``"LIFETIME"``; ``birthDay`` of a card that
    prints the birth date as a year only is that year, ``YYYY`` (see README).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    idNumber: IdNumber  # noqa: N815 - contract field name
    name: Annotated[str, StringConstraints(min_length=1)]
    fatherName: Annotated[str, StringConstraints(min_length=1)]  # noqa: N815
    gender: Literal["M", "F", "X"]
    country: Annotated[str, StringConstraints(min_length=1)]
    birthDay: CompactDate | BirthYear  # noqa: N815
    issueDay: CompactDate  # noqa: N815
    expiryDay: CompactDate | Literal["LIFETIME"]  # noqa: N815


class OkResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal[OcrStatus.OK]
    message: CnicFields


class ErrorResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal[
        OcrStatus.FAIL,
        OcrStatus.INVALID_REQUEST,
        OcrStatus.IMAGE_INVALID_FORMAT,
        OcrStatus.IMAGE_INVALID_SIZE,
        OcrStatus.INNER_ERROR,
    ]
    message: str


OcrResponse = Annotated[OkResponse | ErrorResponse, Field(discriminator="status")]


def error_body(status: OcrStatus, message: str | None = None) -> dict[str, Any]:
    """A contract body for a non-OK status, with the verbatim message."""
    return {"status": status.value, "message": message or STATUS_MESSAGES[status]}


def ok_body(fields: CnicFields) -> dict[str, Any]:
    return {"status": OcrStatus.OK.value, "message": fields.model_dump()}
