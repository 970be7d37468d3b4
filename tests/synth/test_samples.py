"""Generated images: deterministic, decodable, of the promised size, with truthful geometry."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image

from cnic_ocr.contract import MAX_IMAGE_BYTES, CnicFields
from cnic_ocr.synth import CONDITIONS, NEGATIVE_KINDS, Sample, generate, generate_set
from cnic_ocr.synth.card import render_front
from cnic_ocr.synth.identities import random_identity

#: Seeds per condition: rotated covers its three rotations, negative all its kinds.
SEEDS = {
    "clean": 4, "phone": 4, "rotated": 3, "lowres": 4, "large": 2, "negative": len(NEGATIVE_KINDS),
    "handheld": 3,
}  # fmt: skip
RECOMMENDED = 200 * 1024


@pytest.fixture(scope="module")
def samples() -> dict[str, list[Sample]]:
    return {condition: list(generate_set(SEEDS[condition], condition)) for condition in CONDITIONS}


def _decode(sample: Sample) -> Image.Image:
    image = Image.open(io.BytesIO(sample.image))
    image.load()
    return image


def _all(samples: dict[str, list[Sample]]) -> Iterator[Sample]:
    for group in samples.values():
        yield from group


@pytest.mark.parametrize("condition", CONDITIONS)
def test_same_seed_and_condition_give_identical_bytes(condition: str) -> None:
    first, again = generate(1, condition), generate(1, condition)
    assert first.image == again.image
    assert first.meta == again.meta
    assert first.truth == again.truth


def test_seeds_and_conditions_differ(samples: dict[str, list[Sample]]) -> None:
    images = [sample.image for sample in _all(samples)]
    assert len(set(images)) == len(images)


def test_a_seed_shows_the_same_person_in_every_condition(samples: dict[str, list[Sample]]) -> None:
    fronts = [samples[condition][0] for condition in CONDITIONS if condition != "negative"]
    assert len({str(sample.truth) for sample in fronts}) == 1


def test_every_sample_decodes_in_its_declared_format(samples: dict[str, list[Sample]]) -> None:
    magic = {"jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
    for sample in _all(samples):
        assert sample.image.startswith(magic[sample.fmt])
        image = _decode(sample)
        assert image.format == sample.fmt.upper()
        assert image.mode == "RGB"
        assert image.size == (sample.meta["width"], sample.meta["height"])
        assert sample.meta["bytes"] == len(sample.image)
        assert len(sample.image) < MAX_IMAGE_BYTES


def test_fronts_carry_contract_truth_and_negatives_none(samples: dict[str, list[Sample]]) -> None:
    for sample in _all(samples):
        if sample.condition == "negative":
            assert sample.kind == "negative"
            assert sample.truth is None
            has_subject = sample.meta["negative_kind"] not in ("scene", "shapes")
            assert ("quad" in sample.meta) == has_subject
        else:
            assert sample.kind == "front"
            assert sample.truth is not None
            CnicFields.model_validate(sample.truth)
            assert set(sample.meta["field_quads"]) == set(sample.truth)


def test_negatives_cover_every_kind(samples: dict[str, list[Sample]]) -> None:
    assert {sample.meta["negative_kind"] for sample in samples["negative"]} == set(NEGATIVE_KINDS)


def test_condition_sizes(samples: dict[str, list[Sample]]) -> None:
    for sample in samples["clean"]:
        assert sample.meta["rotation"] == 0
        assert abs(sample.meta["skew_deg"]) <= 2
        assert 780 <= sample.meta["card_width_px"] <= 1200
        corners = np.asarray(_decode(sample).convert("L"))[[0, 0, -1, -1], [0, -1, 0, -1]]
        assert corners.min() > 200, "a scan has a white margin"
    for condition in ("phone", "rotated", "lowres"):
        for sample in samples[condition]:
            assert sample.fmt == "jpeg"
            assert len(sample.image) <= RECOMMENDED
            assert 600 <= max(sample.meta["width"], sample.meta["height"]) <= 1800
    for sample in samples["phone"] + samples["rotated"]:
        upright_width = sample.meta["width"] if sample.meta["rotation"] in (0, 180) else sample.meta["height"]
        assert 0.3 <= sample.meta["card_width_px"] / upright_width <= 0.95
    for sample in samples["lowres"]:
        assert 400 <= sample.meta["card_width_px"] <= 680
    for sample in samples["large"]:
        assert 3000 <= max(sample.meta["width"], sample.meta["height"]) <= 4000
        assert len(sample.image) <= MAX_IMAGE_BYTES
    for sample in samples["handheld"]:
        assert (sample.meta["width"], sample.meta["height"]) == (640, 640), "a square export"
        assert len(sample.image) <= RECOMMENDED
        assert 300 <= sample.meta["card_width_px"] <= 640


def test_rotations(samples: dict[str, list[Sample]]) -> None:
    assert sorted(sample.meta["rotation"] for sample in samples["rotated"]) == [90, 180, 270]
    for condition in ("clean", "phone", "lowres", "large", "handheld"):
        assert all(sample.meta["rotation"] == 0 for sample in samples[condition])


def _rectified(sample: Sample, width: int, height: int) -> np.ndarray:
    """The quad of the sample's card warped back to an upright width x height grey image."""
    grey = np.asarray(_decode(sample).convert("L"), dtype=np.float32)
    quad = np.array(sample.meta["quad"], np.float32)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    return np.asarray(cv2.warpPerspective(grey, cv2.getPerspectiveTransform(quad, target), (width, height)))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


@pytest.mark.parametrize("condition", ["clean", "phone", "rotated", "lowres", "handheld"])
def test_quad_locates_the_card_in_the_image_upright(samples: dict[str, list[Sample]], condition: str) -> None:
    """Warping the quad back gives the rendered card (and the card turned 180° does not match)."""
    for sample in samples[condition]:
        quad = np.array(sample.meta["quad"])
        assert (quad >= -1).all() and (quad[:, 0] <= sample.meta["width"] + 1).all()
        assert (quad[:, 1] <= sample.meta["height"] + 1).all()
        card = render_front(random_identity(sample.seed), sample.seed).image.convert("L")
        small = (200, 126)
        expected = cv2.GaussianBlur(np.asarray(card.resize(small), np.float32), (0, 0), 1.5)
        seen = cv2.GaussianBlur(_rectified(sample, *small), (0, 0), 1.5)
        upright = _correlation(seen, expected)
        turned = _correlation(seen[::-1, ::-1], expected)
        assert upright > 0.6, (sample.seed, upright)
        assert upright > turned + 0.2, (sample.seed, upright, turned)


def test_field_quads_lie_inside_the_card(samples: dict[str, list[Sample]]) -> None:
    for sample in samples["phone"] + samples["rotated"]:
        card = cv2.convexHull(np.array(sample.meta["quad"], np.float32))
        for points in sample.meta["field_quads"].values():
            for x, y in points:
                assert cv2.pointPolygonTest(card, (x, y), measureDist=False) >= 0


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        generate(0, "blurry")
    with pytest.raises(ValueError, match="seed"):
        generate(-1, "phone")


def test_generate_set_uses_consecutive_seeds() -> None:
    assert [sample.seed for sample in generate_set(3, "lowres", base_seed=10)] == [10, 11, 12]


def test_output_does_not_depend_on_the_process() -> None:
    """A fresh interpreter (cold caches, other hash seed) produces the very same bytes."""
    code = "import hashlib, sys; from cnic_ocr.synth import generate; "
    code += "sys.stdout.write(hashlib.sha256(generate(3, 'phone').image).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert fresh.stdout == hashlib.sha256(generate(3, "phone").image).hexdigest()
