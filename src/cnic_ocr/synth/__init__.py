"""Synthetic CNIC test data: seeded, deterministic images with their ground truth.

``generate(seed, condition)`` returns one :class:`Sample`; the same seed and condition always
give byte-identical output. A seed's identity is the same in every condition, so results can
be compared condition by condition. See ``docs/synth.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from cnic_ocr.synth.card import DEFAULT_CARD_WIDTH, Box, render_front
from cnic_ocr.synth.degrade import CLEAN, LARGE, LOWRES, PHONE, ImageFormat, Shot, photograph
from cnic_ocr.synth.identities import Identity, random_identity
from cnic_ocr.synth.negatives import NEGATIVE_KINDS, NegativeKind, negative_photo
from cnic_ocr.synth.randomness import stream

Condition = Literal["clean", "phone", "rotated", "lowres", "large", "negative"]
CONDITIONS: Final[tuple[Condition, ...]] = ("clean", "phone", "rotated", "lowres", "large", "negative")
SampleKind = Literal["front", "negative"]

#: Fronts for the ``large`` condition are rendered bigger so that 3000-4000 px photos stay sharp.
LARGE_CARD_WIDTH = 1600

_SHOTS: dict[str, Shot] = {"clean": CLEAN, "phone": PHONE, "rotated": PHONE, "lowres": LOWRES, "large": LARGE}


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated image and what a perfect recognizer answers for it."""

    image: bytes
    fmt: ImageFormat
    #: The contract's ``message`` for a front (validates as ``CnicFields``); None for a negative.
    truth: dict[str, str] | None
    condition: Condition
    kind: SampleKind
    seed: int
    #: width, height, format, bytes, rotation (clockwise degrees applied), skew_deg, tilt_deg,
    #: blur/noise/jpeg settings; for fronts also quad (card corners TL, TR, BR, BL in output
    #: pixels), card_width_px, field_quads and father_label; for negatives negative_kind.
    meta: dict[str, Any]

    @property
    def extension(self) -> str:
        return "jpg" if self.fmt == "jpeg" else "png"


def generate(seed: int, condition: str) -> Sample:
    """The sample of ``seed`` (>= 0) under ``condition`` (one of :data:`CONDITIONS`)."""
    checked = _checked(condition)
    rng = stream(seed, "photo", checked)
    if checked == "negative":
        kind: NegativeKind = NEGATIVE_KINDS[seed % len(NEGATIVE_KINDS)]
        photo = negative_photo(seed, kind, rng)
        return Sample(
            photo.image, photo.fmt, None, "negative", "negative", seed, {**photo.meta, "negative_kind": kind}
        )
    identity = random_identity(seed)
    card = render_front(identity, seed, LARGE_CARD_WIDTH if condition == "large" else DEFAULT_CARD_WIDTH)
    rotation = 90 * (1 + seed % 3) if condition == "rotated" else 0
    marks = {name: _corners(box) for name, box in card.boxes.items()}
    photo = photograph(card.image, rng, _SHOTS[condition], rotation=rotation, marks=marks)
    meta = {**photo.meta, **_identity_meta(identity)}
    return Sample(photo.image, photo.fmt, identity.truth(), checked, "front", seed, meta)


def generate_set(n: int, condition: str, base_seed: int = 0) -> Iterator[Sample]:
    """``n`` samples of seeds ``base_seed`` .. ``base_seed + n - 1``."""
    for index in range(n):
        yield generate(base_seed + index, condition)


def _checked(condition: str) -> Condition:
    for known in CONDITIONS:
        if condition == known:
            return known
    raise ValueError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")


def _corners(box: Box) -> np.ndarray[Any, np.dtype[np.float64]]:
    left, top, right, bottom = box
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def _identity_meta(identity: Identity) -> dict[str, Any]:
    return {"father_label": identity.father_label, "lifetime": identity.expiry is None}


__all__ = ["CONDITIONS", "NEGATIVE_KINDS", "Condition", "Sample", "generate", "generate_set"]
