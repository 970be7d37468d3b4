"""The drawing families: deterministic, truthful, different from each other, with the right answer."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from cnic_ocr.contract import (
    MAX_IMAGE_BYTES,
    MSG_NOT_IDENTITY_CARD,
    MSG_RECOGNITION_FAILED,
    CnicFields,
    ErrorResponse,
    OkResponse,
)
from cnic_ocr.synth import CONDITIONS, FAMILIES, NEGATIVE_KINDS, generate, generate_set
from cnic_ocr.synth.identities import Identity, varied_identity
from cnic_ocr.synth.snic import _check, _machine_readable_zone, render_snic_front

NEW_FAMILIES = ("snic", "plain", "legacy", "nicop")
SYNTH_DIR = Path(__file__).resolve().parents[2] / "src" / "cnic_ocr" / "synth"


@pytest.mark.parametrize("family", NEW_FAMILIES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_condition_works_in_every_family(family: str, condition: str) -> None:
    sample = generate(5, condition, family)
    again = generate(5, condition, family)
    assert sample.image == again.image and sample.meta == again.meta
    assert sample.family == family and sample.condition == condition
    with Image.open(io.BytesIO(sample.image)) as image:
        assert image.size == (sample.meta["width"], sample.meta["height"])
    assert len(sample.image) < MAX_IMAGE_BYTES
    if condition in ("phone", "rotated", "lowres", "negative", "handheld"):
        assert len(sample.image) <= 200 * 1024


@pytest.mark.parametrize("family", NEW_FAMILIES)
def test_a_new_family_is_the_same_in_a_fresh_process(family: str) -> None:
    code = "import hashlib, sys; from cnic_ocr.synth import generate; "
    code += f"sys.stdout.write(hashlib.sha256(generate(4, 'lowres', '{family}').image).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "999"}
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert fresh.stdout == hashlib.sha256(generate(4, "lowres", family).image).hexdigest()


def test_families_draw_different_images_of_a_seed() -> None:
    images = {family: generate(2, "clean", family).image for family in FAMILIES}
    assert len(set(images.values())) == len(FAMILIES)


def test_the_default_family_is_classic() -> None:
    assert generate(3, "phone").image == generate(3, "phone", "classic").image
    assert generate(3, "phone").family == "classic"


@pytest.mark.parametrize("family", ("classic", "snic", "plain", "nicop"))
def test_fronts_expect_ok_with_contract_truth(family: str) -> None:
    for sample in generate_set(4, "phone", base_seed=20, family=family):
        assert sample.kind == "front"
        assert sample.truth is not None
        CnicFields.model_validate(sample.truth)
        assert OkResponse.model_validate(sample.expected).message.model_dump() == sample.truth
        assert set(sample.meta["field_quads"]) == set(sample.truth)


def test_legacy_fronts_expect_check_input_and_retry() -> None:
    for sample in generate_set(3, "clean", family="legacy"):
        assert sample.kind == "legacy_front"
        assert sample.truth is None
        assert ErrorResponse.model_validate(sample.expected).message == MSG_RECOGNITION_FAILED


@pytest.mark.parametrize("family", FAMILIES)
def test_negatives_expect_not_identity_card(family: str) -> None:
    samples = list(generate_set(len(NEGATIVE_KINDS), "negative", family=family))
    assert {sample.meta["negative_kind"] for sample in samples} == set(NEGATIVE_KINDS)
    for sample in samples:
        assert sample.kind == "negative" and sample.truth is None
        assert sample.expected == {"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD}


def test_realistic_families_photograph_the_realistic_back() -> None:
    seed = NEGATIVE_KINDS.index("back")
    classic, snic = generate(seed, "negative"), generate(seed, "negative", "snic")
    assert classic.meta["negative_kind"] == snic.meta["negative_kind"] == "back"
    assert classic.image != snic.image


def test_unknown_family_raises() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        generate(0, "phone", "green")


def test_snic_quad_locates_its_card() -> None:
    """Warping the quad back gives the rendered smart card, not the card turned 180°."""
    for sample in generate_set(3, "rotated", base_seed=40, family="snic"):
        card = render_snic_front(varied_identity(sample.seed), sample.seed, 1000).image.convert("L")
        small = (200, 126)
        grey = np.asarray(Image.open(io.BytesIO(sample.image)).convert("L"), dtype=np.float32)
        target = np.array([[0, 0], [small[0], 0], [small[0], small[1]], [0, small[1]]], np.float32)
        warp = cv2.getPerspectiveTransform(np.array(sample.meta["quad"], np.float32), target)
        seen = cv2.GaussianBlur(cv2.warpPerspective(grey, warp, small), (0, 0), 1.5)
        expected = cv2.GaussianBlur(np.asarray(card.resize(small), np.float32), (0, 0), 1.5)
        upright, turned = _correlation(seen, expected), _correlation(seen[::-1, ::-1], expected)
        assert upright > 0.6 and upright > turned + 0.2, (sample.seed, upright, turned)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


@pytest.mark.parametrize("family", ("snic", "plain", "nicop"))
def test_printed_values_do_not_overlap(family: str) -> None:
    for sample in generate_set(6, "clean", base_seed=60, family=family):
        boxes = [cv2.boundingRect(np.array(quad, np.float32)) for quad in sample.meta["field_quads"].values()]
        for i, (x, y, w, h) in enumerate(boxes):
            for x2, y2, w2, h2 in boxes[i + 1 :]:
                overlap_x = min(x + w, x2 + w2) - max(x, x2)
                overlap_y = min(y + h, y2 + h2) - max(y, y2)
                assert overlap_x <= 1 or overlap_y <= 1, (sample.seed, family)


def test_positions_vary_from_card_to_card_by_a_few_per_cent() -> None:
    """The name's top-left on the card moves between seeds by more than 1 % and less than 8 %."""
    corners = [
        np.array(render_snic_front(varied_identity(seed), seed, 1000).boxes["name"][:2]) / 1000
        for seed in range(8)
    ]
    spread = np.ptp(np.array(corners), axis=0)
    assert 0.01 < spread.max() < 0.08, spread


@pytest.fixture(scope="module")
def identities() -> list[Identity]:
    return [varied_identity(seed) for seed in range(3000)]


def test_varied_identities_cover_what_real_cards_print(identities: list[Identity]) -> None:
    years = Counter("lifetime" if i.expiry is None else i.expiry.year - i.issue.year for i in identities)
    assert set(years) == {10, 7, 5, "lifetime"}
    assert years[10] == max(years.values())
    assert set("123456789") == {i.id_number[0] for i in identities}
    assert {"Father Name", "Husband Name", "Father's Name"} == {i.father_label for i in identities}
    assert "China, Mainland" in {i.country for i in identities}
    assert 0.01 < sum(i.minor_until is not None for i in identities) / len(identities) < 0.06


def test_varied_identities_obey_the_card_rules(identities: list[Identity]) -> None:
    for identity in identities:
        CnicFields.model_validate(identity.truth())
        assert identity.birth < identity.issue <= dt.date(2025, 12, 31)
        last = int(identity.id_number[-1])
        assert identity.gender == "X" or last % 2 == (1 if identity.gender == "M" else 0)
        if identity.expiry is not None:
            assert (identity.expiry.month, identity.expiry.day) == (identity.issue.month, identity.issue.day)
        if identity.minor_until is not None:
            assert identity.issue < identity.minor_until
            assert identity.minor_until == identity.birth.replace(year=identity.birth.year + 18)
        if identity.father_label == "Father's Name":
            assert identity.issue.year <= 2014
        if identity.father_label == "Husband Name":
            assert identity.gender in ("F", "X")


def test_synth_shares_nothing_with_the_recognizer() -> None:
    """No module of the generator imports the recognizer (its layout must not leak in)."""
    for path in SYNTH_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("cnic_ocr.recognizer"), path.name
            elif isinstance(node, ast.Import):
                assert not any(alias.name.startswith("cnic_ocr.recognizer") for alias in node.names), (
                    path.name
                )


def test_overseas_back_zone_has_icao_check_digits() -> None:
    """The check digit rule against ICAO 9303's own TD1 example, and three 30-character lines."""
    assert (_check("D23145890"), _check("740812"), _check("120415")) == ("7", "2", "9")
    identity = varied_identity(1)
    lines = _machine_readable_zone(identity, np.random.default_rng(0))
    assert [len(line) for line in lines] == [30, 30, 30]
    assert identity.id_number.replace("-", "") in lines[0]
    assert lines[1][:7] == f"{identity.birth:%y%m%d}{_check(f'{identity.birth:%y%m%d}')}"
