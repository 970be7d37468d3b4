"""Where things are printed on the front of the smart card, as shares of its width and height.

From ``shared/spec/cnic-facts.md`` (label bands, columns): each label's anchor is the left end
of its text at mid-height. Labels found in a view of the card are matched to these anchors to
compute the view → card homography, which undoes perspective left by the outline finder.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    NAME = "name"
    FATHER_NAME = "father_name"
    HUSBAND_NAME = "husband_name"
    GENDER = "gender"
    COUNTRY = "country"
    IDENTITY_NUMBER = "identity_number"
    BIRTH = "birth"
    ISSUE = "issue"
    EXPIRY = "expiry"


LABEL_TEXTS: dict[Label, str] = {
    Label.NAME: "name",
    Label.FATHER_NAME: "fathername",
    Label.HUSBAND_NAME: "husbandname",
    Label.GENDER: "gender",
    Label.COUNTRY: "countryofstay",
    Label.IDENTITY_NUMBER: "identitynumber",
    Label.BIRTH: "dateofbirth",
    Label.ISSUE: "dateofissue",
    Label.EXPIRY: "dateofexpiry",
}

LEFT_COLUMN_X = 0.245
RIGHT_COLUMN_X = 0.49
COLUMN_END_X = 0.69

#: Label → (x of its left end, y of its middle).
LABEL_ANCHORS: dict[Label, tuple[float, float]] = {
    Label.NAME: (LEFT_COLUMN_X, 0.205),
    Label.FATHER_NAME: (LEFT_COLUMN_X, 0.415),
    Label.HUSBAND_NAME: (LEFT_COLUMN_X, 0.415),
    Label.GENDER: (LEFT_COLUMN_X, 0.615),
    Label.COUNTRY: (RIGHT_COLUMN_X, 0.615),
    Label.IDENTITY_NUMBER: (LEFT_COLUMN_X, 0.74),
    Label.BIRTH: (RIGHT_COLUMN_X, 0.74),
    Label.ISSUE: (LEFT_COLUMN_X, 0.865),
    Label.EXPIRY: (RIGHT_COLUMN_X, 0.865),
}


@dataclass(frozen=True)
class ValueRegion:
    """Where a field's value is printed, relative to its label's anchor."""

    label: Label
    width: float
    top: float = 0.018
    bottom: float = 0.085

    def box(self, anchor: tuple[float, float]) -> tuple[float, float, float, float]:
        x, y = anchor
        return (x - 0.012, y + self.top, x + self.width, y + self.bottom)


VALUE_REGIONS: dict[str, ValueRegion] = {
    "name": ValueRegion(Label.NAME, COLUMN_END_X - LEFT_COLUMN_X),
    "fatherName": ValueRegion(Label.FATHER_NAME, COLUMN_END_X - LEFT_COLUMN_X),
    "gender": ValueRegion(Label.GENDER, 0.07),
    "country": ValueRegion(Label.COUNTRY, COLUMN_END_X - RIGHT_COLUMN_X),
    "idNumber": ValueRegion(Label.IDENTITY_NUMBER, RIGHT_COLUMN_X - LEFT_COLUMN_X - 0.01),
    "birthDay": ValueRegion(Label.BIRTH, COLUMN_END_X - RIGHT_COLUMN_X),
    "issueDay": ValueRegion(Label.ISSUE, RIGHT_COLUMN_X - LEFT_COLUMN_X - 0.01),
    "expiryDay": ValueRegion(Label.EXPIRY, COLUMN_END_X - RIGHT_COLUMN_X),
}
