"""The identities obey the card's rules and the contract's formats."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from cnic_ocr.contract import CnicFields
from cnic_ocr.synth.identities import Identity, printed_date, random_identity

SEEDS = range(3000)


@pytest.fixture(scope="module")
def identities() -> list[Identity]:
    return [random_identity(seed) for seed in SEEDS]


def _date(compact: str) -> dt.date:
    return dt.datetime.strptime(compact, "%Y%m%d").date()


def test_truth_validates_against_the_contract(identities: list[Identity]) -> None:
    for identity in identities:
        fields = CnicFields.model_validate(identity.truth())
        assert fields.model_dump() == identity.truth()


def test_identity_number_rules(identities: list[Identity]) -> None:
    for identity in identities:
        number = identity.id_number
        assert re.fullmatch(r"[1-7]\d{4}-\d{7}-\d", number), number
        last = int(number[-1])
        if identity.gender == "M":
            assert last % 2 == 1, number
        elif identity.gender == "F":
            assert last % 2 == 0, number


def test_dates_are_ordered_and_valid_for_7_or_10_years_or_lifetime(identities: list[Identity]) -> None:
    for identity in identities:
        truth = identity.truth()
        birth, issue = _date(truth["birthDay"]), _date(truth["issueDay"])
        assert birth < issue
        assert (issue - birth).days >= 18 * 365, "a CNIC is issued at 18 or older"
        assert dt.date(2012, 1, 1) <= issue <= dt.date(2025, 12, 31), "smart cards since 2012"
        if truth["expiryDay"] == "LIFETIME":
            assert identity.printed_expiry == "Lifetime"
            continue
        expiry = _date(truth["expiryDay"])
        assert issue < expiry
        assert (expiry.month, expiry.day) == (issue.month, issue.day)
        assert expiry.year - issue.year in (7, 10)


def test_names_are_two_to_four_title_case_words(identities: list[Identity]) -> None:
    for identity in identities:
        for name in (identity.name, identity.father_name):
            words = name.split()
            assert 2 <= len(words) <= 4, name
            assert all(word[0].isupper() and word[1:].islower() for word in words), name
        assert identity.name_urdu and identity.father_name_urdu
        assert not re.search(r"[A-Za-z]", identity.name_urdu + identity.father_name_urdu)


def test_shares_are_realistic(identities: list[Identity]) -> None:
    n = len(identities)
    genders = Counter(identity.gender for identity in identities)
    assert genders["X"] / n < 0.03
    assert 0.4 < genders["M"] / n < 0.6
    women = [identity for identity in identities if identity.gender == "F"]
    husbands = sum(identity.father_label == "Husband Name" for identity in women) / len(women)
    assert 0.18 < husbands < 0.32
    assert all(identity.father_label == "Father Name" for identity in identities if identity.gender == "M")
    lifetime = sum(identity.expiry is None for identity in identities) / n
    assert 0.015 < lifetime < 0.05
    foreign = sum(identity.country != "Pakistan" for identity in identities) / n
    assert 0.02 < foreign < 0.1
    provinces = Counter(identity.id_number[0] for identity in identities)
    assert set(provinces) == set("1234567")
    assert provinces["3"] == max(provinces.values()), "Punjab is the most populous province"


def test_same_seed_same_identity_and_seeds_differ() -> None:
    assert random_identity(42) == random_identity(42)
    assert len({random_identity(seed).id_number for seed in range(200)}) == 200


def test_printed_date_is_dd_mm_yyyy() -> None:
    assert printed_date(dt.date(2001, 9, 14)) == "14.09.2001"
