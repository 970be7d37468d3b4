"""The summary of one upload: the JSON the idempotency store keeps and the handler returns."""

from __future__ import annotations

from cnic_ocr.pipeline.flow import Disposition, ProcessingResult
from cnic_ocr.pipeline.runtime import UploadSummary

from .support import BUCKET, small_card_jpeg
from .test_flow import World


def test_a_recorded_upload_summarizes_as_the_camel_case_json_it_always_was() -> None:
    world = World()
    image = small_card_jpeg()
    summary = UploadSummary.of(world.run(world.upload("uploads/card.jpg", image)))
    assert summary.as_json() == {
        "disposition": "recorded",
        "recordId": f"{BUCKET}/uploads/card.jpg",
        "status": "OK",
        "outcome": "recognized",
        "attempts": 1,
        "ocrLatencyMs": 850,
        "reused": False,
        "bytesRead": len(image),
        "bytesSent": len(image),
        "reencoded": False,
    }
    assert UploadSummary.model_validate(summary.as_json()) == summary


def test_a_replay_says_so_and_nothing_else_changes() -> None:
    stored = UploadSummary.of(ProcessingResult(Disposition.IGNORED)).as_json()
    replayed = UploadSummary.model_validate(stored | {"idempotentReplay": True})
    assert replayed.idempotent_replay
    assert replayed.as_json() == stored | {"idempotentReplay": True}
