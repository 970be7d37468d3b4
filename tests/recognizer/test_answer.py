"""The answer policy on extracted fields (no engine): confidence, corroboration by the card's rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cnic_ocr.recognizer.fields import Extraction, FieldReading, OcrLine
from cnic_ocr.recognizer.labels import Label
from cnic_ocr.recognizer.service import Recognizer

TRUTH = {
    "idNumber": "35202-1234567-3",
    "name": "Ali Raza",
    "fatherName": "Raza Ahmed",
    "gender": "M",
    "country": "Pakistan",
    "birthDay": "19900101",
    "issueDay": "20200315",
    "expiryDay": "20300315",
}


def extraction(scores: dict[str, float] | None = None, **values: str) -> Extraction:
    """A front whose every field was read at confidence 0.99 unless ``scores`` says otherwise."""
    fields = {**TRUTH, **values}
    scores = scores or {}
    labels = {
        label: OcrLine(label.value, 0.99, (0.25, 0.2, 0.4, 0.23), 0.99)
        for label in (Label.NAME, Label.IDENTITY_NUMBER, Label.COUNTRY, Label.BIRTH)
    }
    readings = {
        key: FieldReading(value, scores.get(key, 0.99), "label", scores.get(key, 0.99))
        for key, value in fields.items()
    }
    dates = {key: date.fromisoformat(fields[key]) for key in ("birthDay", "issueDay", "expiryDay")}
    return Extraction(fields=readings, labels=labels, parsed_dates=dates)


def answer(found: Extraction) -> dict[str, Any]:
    recognizer = Recognizer(engine=object(), today=lambda: date(2026, 11, 26))  # type: ignore[arg-type]
    reading: Any = type("Reading", (), {"extraction": found})()
    return recognizer._answer(reading)


def test_all_fields_confident_is_ok() -> None:
    assert answer(extraction()) == {"status": "OK", "message": TRUTH}


@pytest.mark.parametrize("field", ["name", "idNumber", "country", "birthDay"])
def test_an_unconfident_field_without_a_rule_to_confirm_it_fails(field: str) -> None:
    assert answer(extraction({field: 0.7}))["status"] == "FAIL"


def test_an_unconfident_gender_confirmed_by_the_number_parity_is_ok() -> None:
    assert answer(extraction({"gender": 0.7}))["status"] == "OK"


def test_an_unconfident_gender_is_not_confirmed_by_an_unconfident_number() -> None:
    assert answer(extraction({"gender": 0.7, "idNumber": 0.85}))["status"] == "FAIL"


def test_a_gender_below_the_corroborated_floor_fails() -> None:
    assert answer(extraction({"gender": 0.5}))["status"] == "FAIL"


def test_gender_x_has_no_parity_to_confirm_it() -> None:
    assert answer(extraction({"gender": 0.7}, gender="X"))["status"] == "FAIL"


@pytest.mark.parametrize("field", ["issueDay", "expiryDay"])
def test_an_unconfident_date_confirmed_by_the_validity_period_is_ok(field: str) -> None:
    assert answer(extraction({field: 0.8}))["status"] == "OK"


def test_both_dates_unconfident_confirm_nothing() -> None:
    assert answer(extraction({"issueDay": 0.8, "expiryDay": 0.8}))["status"] == "FAIL"


def test_a_date_off_the_validity_period_fails_however_confident() -> None:
    assert answer(extraction(expiryDay="20300316"))["status"] == "FAIL"


@pytest.mark.parametrize("field", ["name", "birthDay", "idNumber"])
def test_a_confident_field_with_a_strong_rival_reading_fails(field: str) -> None:
    found = extraction()
    found.fields[field].rival = 0.3
    assert answer(found)["status"] == "FAIL"


def test_a_name_with_a_rival_the_other_name_echoes_fails() -> None:
    found = extraction()
    found.fields["fatherName"].echoed_rival = 0.07
    assert answer(found)["status"] == "FAIL"
