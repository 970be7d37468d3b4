"""The overseas card (family ``nicop``): the held-out drawing, truthful and deterministic."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np

from cnic_ocr.contract import CnicFields, OkResponse
from cnic_ocr.synth import FAMILIES, HELD_OUT_FAMILY, generate, generate_set
from cnic_ocr.synth.identities import varied_identity
from cnic_ocr.synth.nicop import nicop_identity, render_nicop_front


def test_nicop_is_the_held_out_family() -> None:
    assert HELD_OUT_FAMILY == "nicop"
    assert FAMILIES[-1] == "nicop"


def test_a_nicop_front_expects_its_identity_with_a_country_of_stay() -> None:
    for sample in generate_set(6, "clean", base_seed=10, family="nicop"):
        assert sample.kind == "front" and sample.family == "nicop"
        assert sample.truth is not None
        CnicFields.model_validate(sample.truth)
        assert OkResponse.model_validate(sample.expected).message.model_dump() == sample.truth
        identity = nicop_identity(sample.seed)
        assert sample.truth == identity.truth()
        # only the country differs from the seed's varied identity
        assert dataclasses.replace(varied_identity(sample.seed), country=identity.country) == identity
        assert set(sample.meta["field_quads"]) == set(sample.truth)


def test_nicop_holders_mostly_live_abroad() -> None:
    countries = Counter(nicop_identity(seed).country for seed in range(300))
    assert countries["Pakistan"] < 0.12 * 300
    assert {"United Arab Emirates", "Saudi Arabia", "United Kingdom"} <= set(countries)
    assert len(countries) >= 10


def test_a_nicop_front_is_deterministic_for_a_seed() -> None:
    first = render_nicop_front(nicop_identity(7), 7, 1000)
    again = render_nicop_front(nicop_identity(7), 7, 1000)
    assert first.image.tobytes() == again.image.tobytes() and first.boxes == again.boxes
    other = render_nicop_front(nicop_identity(8), 8, 1000)
    assert other.image.tobytes() != first.image.tobytes()
    assert generate(7, "phone", "nicop").image == generate(7, "phone", "nicop").image


def test_nicop_values_sit_on_the_card_and_the_layout_varies() -> None:
    """Every value inside the card and legibly tall; the portrait's side moves the name column."""
    name_left = []
    for seed in range(12):
        card = render_nicop_front(nicop_identity(seed), seed, 1000)
        w, h = card.image.size
        for left, top, right, bottom in card.boxes.values():
            assert 0 <= left < right <= w and 0 <= top < bottom <= h, seed
            assert bottom - top >= 0.025 * h, seed
        name_left.append(card.boxes["name"][0] / w)
    assert np.ptp(name_left) > 0.08  # portrait on the left on some cards, on the right on others
