"""Rules of the Pakistani CNIC that the recognizer reads with and checks against.

Pure functions over strings and dates; the facts and their sources: ``docs/cnic-facts.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: Letters OCR confuses with digits; applied only where the format demands a digit.
DIGIT_CONFUSIONS = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "U": "0",
        "I": "1",
        "l": "1",
        "i": "1",
        "|": "1",
        "!": "1",
        "L": "1",
        "T": "1",
        "J": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "$": "5",
        "B": "8",
        "G": "6",
        "b": "6",
        "g": "9",
        "q": "9",
        "A": "4",
    }
)

_DIGITISH = "0-9OoDQUIli|!LTJZzSs$BGbgqA"
_SEP = r"[-–—_.~=:,\s]?"
NUMBER_PATTERN = re.compile(
    rf"(?<![0-9])([{_DIGITISH}]{{5}}){_SEP}([{_DIGITISH}]{{7}}){_SEP}([{_DIGITISH}])"
    r"(?=$|[^0-9]|[0-9]{1,2}[.,][0-9]{2}[.,][0-9]{4})"
)
_DATE_SEP = r"\s?[.,:\-/ ]\s?"
#: ``DD.MM.YYYY``; one of the two dots may be lost in reading ("1207.2030"): the card's fixed
#: 2-2-4 digits still say where it was.
DATE_PATTERN = re.compile(
    rf"(?<![0-9])(?=[{_DIGITISH}]{{2}}{_DATE_SEP}|[{_DIGITISH}]{{4}}{_DATE_SEP})"
    rf"([{_DIGITISH}]{{2}})(?:{_DATE_SEP})?([{_DIGITISH}]{{2}})(?:{_DATE_SEP})?([{_DIGITISH}]{{4}})(?![0-9])"
)
#: A date missing a dot is taken only when this many of its characters are digits as read.
MIN_DIGITS_WITHOUT_DOT = 7
LIFETIME_PATTERN = re.compile(r"\bl[il1]fe\s?t[il1]me\b", re.IGNORECASE)

#: Validity periods (years) seen on real cards (and "Lifetime"); others are flagged.
USUAL_VALIDITY_YEARS = (10, 7, 5)


def to_digits(text: str) -> str | None:
    """Map a digit-shaped string to digits, or None when a character is not digit-like."""
    mapped = text.translate(DIGIT_CONFUSIONS)
    return mapped if mapped.isdigit() else None


def find_id_numbers(text: str) -> list[str]:
    """All identity numbers in ``text`` as ``NNNNN-NNNNNNN-N``, repairing digit confusions."""
    found: list[str] = []
    for match in NUMBER_PATTERN.finditer(text):
        parts = [to_digits(group) for group in match.groups()]
        if all(parts) and sum(ch.isdigit() for ch in match.group(0)) >= 10:
            found.append("-".join(p for p in parts if p))
    return found


def find_dates(text: str) -> list[date]:
    """All ``DD.MM.YYYY`` dates in ``text`` that are real calendar dates."""
    found: list[date] = []
    for match in DATE_PATTERN.finditer(text):
        parts = [to_digits(group) for group in match.groups()]
        if not all(parts):
            continue
        dotted = match.start(2) > match.end(1) and match.start(3) > match.end(2)
        if not dotted and sum(ch.isdigit() for ch in match.group(0)) < MIN_DIGITS_WITHOUT_DOT:
            continue
        day, month, year = (int(p) for p in parts if p)
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    return found


def digits_left_over(text: str) -> int:
    """Digits of ``text`` outside every number and date it reads as: a line with many is a
    number or a date misread (a doubled digit merged into one, most often)."""
    for pattern in (NUMBER_PATTERN, DATE_PATTERN):
        text = pattern.sub(" ", text)
    return sum(ch.isdigit() for ch in text)


def gender_from_number(id_number: str) -> str:
    """The gender the number's last digit encodes: odd = male, even = female."""
    return "M" if int(id_number[-1]) % 2 else "F"


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def check_number(id_number: str) -> CheckResult:
    ok = re.fullmatch(r"\d{5}-\d{7}-\d", id_number) is not None
    return CheckResult("number_format", ok, "NNNNN-NNNNNNN-N" if ok else "bad shape")


def check_gender_parity(id_number: str, gender: str) -> CheckResult:
    if gender == "X":
        return CheckResult("gender_parity", True, "gender X: parity not defined")
    expected = gender_from_number(id_number)
    return CheckResult("gender_parity", expected == gender, f"last digit says {expected}, card says {gender}")


def check_date_order(birth: date, issue: date, expiry: date | None, today: date) -> CheckResult:
    ok = birth < issue <= today and (expiry is None or issue < expiry) and birth.year >= 1900
    return CheckResult("date_order", ok, "birth < issue <= today < expiry" if ok else "dates out of order")


def check_validity(issue: date, expiry: date | None) -> CheckResult:
    if expiry is None:
        return CheckResult("validity_period", True, "lifetime card")
    for years in USUAL_VALIDITY_YEARS:
        if add_years(issue, years) == expiry:
            return CheckResult("validity_period", True, f"{years} years")
    return CheckResult("validity_period", False, f"expiry is not issue + {USUAL_VALIDITY_YEARS} years")
