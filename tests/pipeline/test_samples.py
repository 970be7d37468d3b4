"""The files in events/: sample S3 events, the event schema and its examples stay true to the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnic_ocr.pipeline.domain.events import DETAIL_TYPES, UploadEventDetail, detail_json_schema
from cnic_ocr.pipeline.handler import uploads_in
from cnic_ocr.pipeline.redrive import payload_of

from .support import EVENTS_DIR, FIELDS

S3_SAMPLES = {
    "s3-put-card.json": "uploads/card-0001.jpg",
    "s3-put-key-with-spaces-and-unicode.json": "uploads/my card (front) شناختی کارڈ ۱.jpg",
    "s3-put-non-image.json": "uploads/bank statement.pdf",
    "s3-put-oversize-phone-photo.json": "uploads/IMG_4032.HEIC",
}
EXAMPLES = sorted(EVENTS_DIR.glob("pipeline-event-*.json"), key=lambda p: p.name)
EXAMPLES = [p for p in EXAMPLES if not p.name.endswith(".schema.json")]


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize(("name", "key"), S3_SAMPLES.items())
def test_sample_s3_events_parse_and_their_keys_decode(name: str, key: str) -> None:
    [upload] = uploads_in(load(EVENTS_DIR / name))
    assert upload.key == key
    assert upload.sequencer and upload.etag and upload.size


def test_the_published_json_schema_is_the_models() -> None:
    published = load(EVENTS_DIR / "pipeline-event-detail.v1.schema.json")
    assert published == json.loads(json.dumps(detail_json_schema(), ensure_ascii=False))


def test_there_is_an_example_for_every_detail_type() -> None:
    assert sorted(load(p)["detail-type"] for p in EXAMPLES) == sorted(DETAIL_TYPES.values())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_follow_the_schema_and_carry_no_personal_data(path: Path) -> None:
    event = load(path)
    detail = UploadEventDetail.model_validate(event["detail"])
    assert event["detail-type"] == DETAIL_TYPES[detail.outcome]
    assert event["source"] == "cnic-ocr.upload-pipeline"
    text = json.dumps(event, ensure_ascii=False)
    assert FIELDS["idNumber"] not in text and FIELDS["name"] not in text and detail.fields is None


def test_the_dead_letter_sample_holds_the_original_event() -> None:
    message = (EVENTS_DIR / "dlq-on-failure-message.json").read_text(encoding="utf-8")
    payload = payload_of(message)
    assert payload is not None
    assert [u.key for u in uploads_in(payload)] == ["uploads/card-0001.jpg"]
