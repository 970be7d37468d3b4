"""What a run prints: masking of personal data, the tables, the summary, the exit rule."""

from __future__ import annotations

import json

from cnic_ocr.contract import EXAMPLE_FIELDS
from cnic_ocr.local.report import (
    UploadOutcome,
    json_lines,
    mask_name,
    masked_record,
    plain_item,
    records_table,
    summary_line,
)

FIELDS = dict(EXAMPLE_FIELDS)
KEY = "uploads/cards/33100-7411692-4.jpg"
OK_RECORD = {"recordId": f"b/{KEY}", "bucket": "b", "objectKey": KEY, "status": "OK", **FIELDS}


def outcome(status: str | None, *, dead: bool = False, **extra: object) -> UploadOutcome:
    record = None if status is None else {"bucket": "b", "objectKey": KEY, "status": status, **extra}
    return UploadOutcome(KEY, record, [], dead)


def test_numbers_and_names_are_masked() -> None:
    assert mask_name("Mirza Anjum Kamal") == "M**** A**** K****"
    masked = masked_record(OK_RECORD)
    assert masked["idNumber"] == "33100-*******-4"
    assert masked["name"] == "J**** M****"
    assert masked["recordId"] == "b/uploads/cards/33100-*******-4.jpg"
    assert masked["birthDay"] == FIELDS["birthDay"]
    assert OK_RECORD["name"] == "Janat Mirza"  # the original is left alone


def test_json_lines_are_masked_unless_pii_is_asked_for() -> None:
    result = UploadOutcome(KEY, OK_RECORD, [{"detail-type": "CNIC Upload Recognized", "detail": {}}])
    [masked] = json_lines([result], show_pii=False)
    assert "7411692" not in masked and "Janat" not in masked and "Anjum" not in masked
    assert json.loads(masked)["events"] == ["CNIC Upload Recognized"]
    [full] = json_lines([result], show_pii=True)
    assert json.loads(full) == {"key": KEY, "record": OK_RECORD, "events": ["CNIC Upload Recognized"]}


def test_the_table_shows_masked_values_and_why_an_upload_was_not_read() -> None:
    rejected = UploadOutcome(
        "uploads/x.pdf", {"status": "IMAGE_INVALID_FORMAT", "reason": "not an image in a supported format"}
    )
    table = records_table([UploadOutcome(KEY, OK_RECORD), rejected], prefix="uploads/", show_pii=False)
    assert "7411692" not in table and "Janat" not in table
    assert "33100-*******-4" in table and "not an image in a supported format" in table
    assert "cards/33100-*******-4.jpg" in table
    assert "Janat Mirza" in records_table([UploadOutcome(KEY, OK_RECORD)], prefix="uploads/", show_pii=True)


def test_dynamodb_items_become_plain_json() -> None:
    item = {"attempts": {"N": "1"}, "ratio": {"N": "0.5"}, "status": {"S": "OK"}, "flag": {"BOOL": True}}
    assert plain_item(item) == {"attempts": 1, "ratio": 0.5, "status": "OK", "flag": True}


def test_summary_counts_each_kind_of_outcome() -> None:
    results = [
        outcome("OK"),
        outcome("FAIL"),
        outcome("IMAGE_INVALID_FORMAT"),
        outcome("INVALID_REQUEST"),
        outcome("ERROR", dead=True),
        outcome(None),
    ]
    assert summary_line(results, 12.34) == (
        "processed 6 uploads in 12.3 s: 1 OK, 1 FAIL, 2 rejected, 1 error, 1 in the dead-letter queue, "
        "1 without a record"
    )


def test_an_upload_is_settled_by_a_final_record_or_an_error_record_in_the_dead_letter_queue() -> None:
    assert outcome("OK").settled and outcome("INVALID_REQUEST").settled
    assert outcome("ERROR", dead=True).settled
    assert not outcome("ERROR").settled  # Lambda would still retry it
    assert not outcome(None, dead=True).settled  # the function never ran: infrastructure failure
