"""The one masking of identity numbers (logs, the local report, events)."""

from __future__ import annotations

import pytest

from cnic_ocr.masking import mask_id_number, mask_id_numbers_in


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("33100-7411692-4", "33100-*******-4"),
        ("3310074116924", "33100-*******-4"),  # as typed without dashes
        ("garbage", "*******"),  # not a number: nothing of it shown
        (None, None),
    ],
)
def test_an_identity_number_keeps_its_district_and_check_digit(
    id_number: str | None, masked: str | None
) -> None:
    assert mask_id_number(id_number) == masked


def test_every_number_inside_free_text_is_masked() -> None:
    text = "uploads/33100-7411692-4.jpg and 3520212345671 failed"
    assert mask_id_numbers_in(text) == "uploads/33100-*******-4.jpg and 35202*******1 failed"
