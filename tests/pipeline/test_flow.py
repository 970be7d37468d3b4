"""The pure flow with fakes of every port: what is recorded, announced and paid for."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cnic_ocr.contract import MSG_INVALID_FORMAT, MSG_NOT_IDENTITY_CARD, OcrStatus
from cnic_ocr.pipeline.domain.events import DETAIL_TYPES
from cnic_ocr.pipeline.domain.models import UploadRef
from cnic_ocr.pipeline.domain.ports import OcrCallError
from cnic_ocr.pipeline.flow import Disposition, Ports, ProcessingResult, UploadFailedError, process_upload
from cnic_ocr.pipeline.settings import PipelineSettings
from cnic_ocr.records.model import Outcome, RecordStatus, normalize_sequencer

from .support import (
    BUCKET,
    FIELDS,
    MASKED_ID,
    PDF_BYTES,
    FakeClock,
    FakeOcr,
    FakePublisher,
    FakeRecords,
    FakeStore,
    card_image,
    decoded,
    encode,
    error_answer,
    garbage_after_jpeg_magic,
    make_settings,
    ok_answer,
    phone_photo_jpeg,
    sha256,
    small_card_jpeg,
    truncated_jpeg,
)


@dataclass
class World:
    store: FakeStore = field(default_factory=FakeStore)
    records: FakeRecords = field(default_factory=FakeRecords)
    events: FakePublisher = field(default_factory=FakePublisher)
    ocr: FakeOcr = field(default_factory=FakeOcr)
    clock: FakeClock = field(default_factory=FakeClock)
    settings: PipelineSettings = field(default_factory=make_settings)
    sequence: int = 0x100

    @property
    def ports(self) -> Ports:
        return Ports(self.store, self.records, self.events, self.ocr, self.clock)

    def upload(self, key: str, data: bytes, *, sequencer: str | None = None) -> UploadRef:
        etag = self.store.put(BUCKET, key, data)
        self.sequence += 1
        return UploadRef(
            bucket=BUCKET, key=key, etag=etag, size=len(data), sequencer=sequencer or f"{self.sequence:X}"
        )

    def run(self, upload: UploadRef) -> ProcessingResult:
        return process_upload(upload, self.ports, self.settings, deadline=self.clock.monotonic() + 100)


@pytest.fixture
def world() -> World:
    return World()


def test_a_small_card_is_sent_untouched_recorded_and_announced_without_personal_data(world: World) -> None:
    image = small_card_jpeg()
    result = world.run(world.upload("uploads/card.jpg", image))

    assert result.disposition is Disposition.RECORDED
    assert world.ocr.calls == [image]
    record = world.records.items[f"{BUCKET}/uploads/card.jpg"]
    assert record.status is RecordStatus.OK
    assert record.fields is not None and record.fields.model_dump() == FIELDS
    assert record.image_sha256 == sha256(image)
    assert (record.size_bytes, record.sent_bytes, record.image_format) == (len(image), len(image), "jpeg")
    assert (record.attempts, record.ocr_latency_ms, record.provider) == (1, 850, "ocr.example.test")

    [event] = world.events.published
    assert event.detail_type == DETAIL_TYPES[Outcome.RECOGNIZED] == "CNIC Upload Recognized"
    assert event.source == world.settings.event_source
    detail = event.detail_json()
    assert MASKED_ID in detail
    assert FIELDS["idNumber"] not in detail
    assert FIELDS["name"] not in detail and FIELDS["fatherName"] not in detail


def test_names_and_number_go_into_events_only_when_configured(world: World) -> None:
    world.settings = make_settings(include_pii_in_events=True)
    world.run(world.upload("uploads/card.jpg", small_card_jpeg()))
    [event] = world.events.published
    assert event.detail.fields is not None
    assert event.detail.fields.name == FIELDS["name"]
    assert event.detail.masked_id_number == MASKED_ID


@pytest.mark.parametrize(
    ("data", "status", "reason_part"),
    [
        (b"", RecordStatus.INVALID_REQUEST, "zero-byte"),
        (PDF_BYTES, RecordStatus.IMAGE_INVALID_FORMAT, "not an image"),
        (b"GIF89a" + bytes(100), RecordStatus.IMAGE_INVALID_FORMAT, "not an image"),
        (truncated_jpeg(), RecordStatus.IMAGE_INVALID_FORMAT, "corrupt or truncated jpeg"),
        (garbage_after_jpeg_magic(), RecordStatus.IMAGE_INVALID_FORMAT, "corrupt or truncated jpeg"),
    ],
    ids=["zero-byte", "pdf", "gif", "truncated-jpeg", "garbage-jpeg"],
)
def test_bad_input_is_recorded_as_rejected_and_never_sent_to_ocr(
    world: World, data: bytes, status: RecordStatus, reason_part: str
) -> None:
    result = world.run(world.upload("uploads/bad.bin", data))

    assert world.ocr.calls == []
    assert result.record is not None
    assert result.record.status is status
    assert result.record.outcome is Outcome.REJECTED
    assert reason_part in (result.record.reason or "")
    assert result.record.provider is None
    [event] = world.events.published
    assert event.detail_type == "CNIC Upload Rejected"


def test_an_object_over_the_read_limit_is_rejected_without_reading_it(world: World) -> None:
    world.settings = make_settings(max_object_bytes=1000)
    result = world.run(world.upload("uploads/huge.jpg", small_card_jpeg()))
    assert world.store.reads == []
    assert world.ocr.calls == []
    assert result.record is not None and result.record.status is RecordStatus.IMAGE_INVALID_SIZE


def test_a_phone_photo_is_downscaled_under_200_kb_keeping_a_legible_size(world: World) -> None:
    photo = phone_photo_jpeg()
    assert len(photo) > 2 * 1024 * 1024  # over the contract's 2 MB limit as uploaded
    result = world.run(world.upload("uploads/photo.jpg", photo))

    [sent] = world.ocr.calls
    assert len(sent) <= 200_000
    image = decoded(sent)
    assert image.format == "JPEG"
    assert max(image.size) >= 1200
    assert result.record is not None
    assert (result.record.size_bytes, result.record.sent_bytes) == (len(photo), len(sent))
    assert result.reencoded and result.bytes_read == len(photo) and result.bytes_sent == len(sent)


@pytest.mark.parametrize("fmt", ["HEIF", "WEBP"])
def test_heic_and_webp_uploads_are_converted_to_jpeg(world: World, fmt: str) -> None:
    data = encode(card_image(400), fmt, quality=90)
    result = world.run(world.upload(f"uploads/card.{fmt.lower()}", data))

    [sent] = world.ocr.calls
    assert sent[:3] == b"\xff\xd8\xff"
    assert decoded(sent).size == (400, 252)
    assert result.record is not None and result.record.image_format == ("heic" if fmt == "HEIF" else "webp")


def test_a_final_answer_for_this_upload_is_reannounced_not_paid_again(world: World) -> None:
    upload = world.upload("uploads/card.jpg", small_card_jpeg())
    world.run(upload)
    second = world.run(upload)

    assert second.disposition is Disposition.DUPLICATE
    assert len(world.ocr.calls) == 1
    assert [e.detail_type for e in world.events.published] == ["CNIC Upload Recognized"] * 2


def test_a_late_notification_of_an_older_upload_changes_nothing(world: World) -> None:
    old = world.upload("uploads/card.jpg", small_card_jpeg(seed=1), sequencer="0100")
    world.run(world.upload("uploads/card.jpg", small_card_jpeg(seed=2), sequencer="0200"))
    result = world.run(old)

    assert result.disposition is Disposition.SUPERSEDED
    assert len(world.ocr.calls) == 1
    assert world.records.items[old.record_id].sequencer == normalize_sequencer("0200")


def test_an_object_replaced_before_processing_is_left_to_its_own_notification(world: World) -> None:
    stale = world.upload("uploads/card.jpg", small_card_jpeg(seed=1))
    world.store.put(BUCKET, "uploads/card.jpg", small_card_jpeg(seed=2))  # overwritten: new ETag
    result = world.run(stale)
    assert result.disposition is Disposition.SUPERSEDED
    assert world.ocr.calls == [] and world.records.items == {}


def test_an_object_deleted_before_processing_is_recorded(world: World) -> None:
    upload = world.upload("uploads/gone.jpg", small_card_jpeg())
    del world.store.objects[(BUCKET, "uploads/gone.jpg")]
    result = world.run(upload)
    assert result.record is not None
    assert result.record.status is RecordStatus.INVALID_REQUEST
    assert result.record.reason == "object no longer exists"


def test_the_same_bytes_under_another_key_reuse_the_earlier_answer(world: World) -> None:
    image = small_card_jpeg()
    world.run(world.upload("uploads/first.jpg", image))
    result = world.run(world.upload("uploads/again/second copy.jpg", image))

    assert len(world.ocr.calls) == 1
    assert result.record is not None
    assert result.record.reused_from == f"{BUCKET}/uploads/first.jpg"
    assert result.record.fields is not None and result.record.fields.idNumber == FIELDS["idNumber"]
    assert result.record.attempts == 0
    assert world.events.published[-1].detail.reused_from == f"{BUCKET}/uploads/first.jpg"


def test_reuse_by_sha256_can_be_turned_off(world: World) -> None:
    world.settings = make_settings(dedupe_by_sha256=False)
    image = small_card_jpeg()
    world.run(world.upload("uploads/first.jpg", image))
    world.run(world.upload("uploads/second.jpg", image))
    assert len(world.ocr.calls) == 2


def test_only_provider_answers_are_reused(world: World) -> None:
    image = small_card_jpeg()
    world.ocr.script = [OcrCallError("OCR retries exhausted", attempts=4)]
    with pytest.raises(UploadFailedError):
        world.run(world.upload("uploads/first.jpg", image))
    world.run(world.upload("uploads/second.jpg", image))
    assert len(world.ocr.calls) == 2


def test_no_final_answer_records_an_error_announces_it_and_fails(world: World) -> None:
    world.ocr.script = [OcrCallError("OCR retries exhausted after 4 attempt(s): HTTP 503", attempts=4)]
    upload = world.upload("uploads/card.jpg", small_card_jpeg())
    with pytest.raises(UploadFailedError) as raised:
        world.run(upload)

    record = world.records.items[upload.record_id]
    assert raised.value.record == record
    assert record.status is RecordStatus.ERROR
    assert record.reason == "OCR retries exhausted after 4 attempt(s): HTTP 503"
    assert record.attempts == 4
    assert [e.detail_type for e in world.events.published] == ["CNIC Upload Error"]

    # Lambda's retry of the same event: the ERROR is replaced by the answer.
    world.clock.advance(60)
    retried = world.run(upload)
    assert retried.disposition is Disposition.RECORDED
    assert world.records.items[upload.record_id].status is RecordStatus.OK
    assert world.records.items[upload.record_id].created_at == record.created_at
    assert world.records.items[upload.record_id].updated_at > record.updated_at


class RecordsReadTooEarly(FakeRecords):
    """A concurrent delivery stored its result after this one looked (get always misses)."""

    def get(self, record_id: str) -> None:
        return None


def test_an_error_after_a_final_result_was_stored_is_not_recorded_nor_raised(world: World) -> None:
    world.records = RecordsReadTooEarly()
    world.settings = make_settings(dedupe_by_sha256=False)
    upload = world.upload("uploads/card.jpg", small_card_jpeg())
    world.run(upload)
    world.ocr.script = [OcrCallError("timeout", attempts=1)]

    result = world.run(upload)

    assert result.disposition is Disposition.SUPERSEDED
    assert world.records.items[upload.record_id].status is RecordStatus.OK
    assert [e.detail_type for e in world.events.published] == ["CNIC Upload Recognized"]


@pytest.mark.parametrize(
    ("status", "message", "outcome", "detail_type"),
    [
        (OcrStatus.FAIL, MSG_NOT_IDENTITY_CARD, Outcome.FAILED, "CNIC Upload Failed"),
        (OcrStatus.IMAGE_INVALID_FORMAT, MSG_INVALID_FORMAT, Outcome.REJECTED, "CNIC Upload Rejected"),
    ],
)
def test_provider_failures_are_recorded_with_the_contract_message(
    world: World, status: OcrStatus, message: str, outcome: Outcome, detail_type: str
) -> None:
    world.ocr.script = [error_answer(status, message)]
    result = world.run(world.upload("uploads/card.jpg", small_card_jpeg()))
    assert result.record is not None
    assert result.record.status.value == status.value
    assert result.record.message == message
    assert result.record.fields is None
    assert result.record.outcome is outcome
    assert world.events.published[0].detail_type == detail_type
    assert world.events.published[0].detail.masked_id_number is None


def test_keys_outside_the_upload_prefix_are_ignored(world: World) -> None:
    result = world.run(world.upload("elsewhere/card.jpg", small_card_jpeg()))
    assert result.disposition is Disposition.IGNORED
    assert world.ocr.calls == [] and world.records.items == {} and world.events.published == []


def test_records_expire_only_when_a_ttl_is_set(world: World) -> None:
    world.run(world.upload("uploads/a.jpg", small_card_jpeg(seed=1)))
    assert world.records.items[f"{BUCKET}/uploads/a.jpg"].expires_at is None
    world.settings = make_settings(record_ttl_days=30)
    world.run(world.upload("uploads/b.jpg", small_card_jpeg(seed=2)))
    assert world.records.items[f"{BUCKET}/uploads/b.jpg"].expires_at == int(world.clock.epoch) + 30 * 86_400


def test_a_successful_answer_with_other_fields_is_recorded_as_given(world: World) -> None:
    lifetime = FIELDS | {"expiryDay": "LIFETIME", "gender": "M", "idNumber": "61101-1234567-3"}
    world.ocr.script = [ok_answer(lifetime)]
    result = world.run(world.upload("uploads/card.jpg", small_card_jpeg()))
    assert result.record is not None and result.record.fields is not None
    assert result.record.fields.expiryDay == "LIFETIME"
    assert world.events.published[0].detail.masked_id_number == "61101-*******-3"
