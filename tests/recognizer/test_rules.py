from datetime import date

import pytest

from cnic_ocr.recognizer import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("33100-7411692-4", ["33100-7411692-4"]),
        ("3310074116924", ["33100-7411692-4"]),
        ("33100 7411692 4", ["33100-7411692-4"]),
        ("3S1O0-74I1692-4", ["35100-7411692-4"]),  # S/5, O/0, I/1 repaired in digit positions
        ("33100-7411692-414.09.2001", ["33100-7411692-4"]),  # merged with the next column's date
        ("Identity Number", []),
        ("12345678901234", []),  # 14 digits is not a number
        ("Ali-Khan-Baloch", []),
    ],
)
def test_find_id_numbers(text: str, expected: list[str]) -> None:
    assert rules.find_id_numbers(text) == expected


def test_find_dates_repairs_confusions_and_rejects_impossible_dates() -> None:
    assert rules.find_dates("14.O9.2001") == [date(2001, 9, 14)]
    assert rules.find_dates("31.02.2001") == []
    assert rules.find_dates("09.03.2020 09.03.2030") == [date(2020, 3, 9), date(2030, 3, 9)]


def test_a_date_missing_one_dot_is_still_the_date() -> None:
    """The card prints 2-2-4 digits: one lost dot does not hide where it was; with both lost,
    or with letters standing in for digits, it is not taken for a date."""
    assert rules.find_dates("1409.2001") == rules.find_dates("14.092001") == [date(2001, 9, 14)]
    assert rules.find_dates("14 .092001") == [date(2001, 9, 14)]
    assert rules.find_dates("14092001") == []
    assert rules.find_dates("l4O9.2OO1") == []
    assert rules.digits_left_over("1409.2001") == 0


def test_gender_parity() -> None:
    assert rules.gender_from_number("33100-7411692-4") == "F"
    assert rules.gender_from_number("33100-7411692-3") == "M"
    assert rules.check_gender_parity("33100-7411692-4", "F").passed
    assert not rules.check_gender_parity("33100-7411692-4", "M").passed
    assert rules.check_gender_parity("33100-7411692-4", "X").passed


def test_date_order_and_validity() -> None:
    today = date(2026, 1, 1)
    assert rules.check_date_order(date(2001, 9, 14), date(2020, 3, 9), date(2030, 3, 9), today).passed
    assert not rules.check_date_order(date(2021, 9, 14), date(2020, 3, 9), date(2030, 3, 9), today).passed
    assert not rules.check_date_order(date(2001, 9, 14), date(2027, 3, 9), date(2037, 3, 9), today).passed
    assert rules.check_validity(date(2020, 3, 9), date(2030, 3, 9)).detail == "10 years"
    assert rules.check_validity(date(2020, 3, 9), date(2027, 3, 9)).passed
    assert rules.check_validity(date(2020, 3, 9), date(2025, 3, 9)).detail == "5 years"
    assert not rules.check_validity(date(2020, 3, 9), date(2030, 8, 9)).passed
    assert rules.check_validity(date(2020, 3, 9), None).passed
    assert rules.add_years(date(2020, 2, 29), 10) == date(2030, 2, 28)


def test_digits_left_over_flag_a_number_or_date_misread() -> None:
    assert rules.digits_left_over("35202-1234567-3 14.09.1990") == 0
    assert rules.digits_left_over("3520-1234567-3") == 12  # a digit lost: not a number
    assert rules.digits_left_over("24/04/192") == 7
    assert rules.digits_left_over("Holder's Signature") == 0
