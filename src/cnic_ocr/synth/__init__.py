"""Synthetic CNIC test data: seeded, deterministic images with their ground truth.

``generate(seed, condition, family)`` returns one :class:`Sample`; the same seed, condition and
family always give byte-identical output. A seed's identity is the same in every condition of a
family, so results can be compared condition by condition. Families are independent drawings
of the card (none shares a layout constant with the recognizer); ``nicop``, the overseas
card, is the held-out one (drawn without reading the recognizer). See ``docs/synth.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from cnic_ocr.contract import MSG_NOT_IDENTITY_CARD, MSG_RECOGNITION_FAILED, OcrStatus
from cnic_ocr.synth.card import DEFAULT_CARD_WIDTH, Box, CardImage, render_front
from cnic_ocr.synth.degrade import CLEAN, HANDHELD, LARGE, LOWRES, PHONE, ImageFormat, Shot, photograph
from cnic_ocr.synth.identities import Identity, random_identity, varied_identity
from cnic_ocr.synth.legacy import render_legacy_front
from cnic_ocr.synth.negatives import NEGATIVE_KINDS, NegativeKind, negative_photo
from cnic_ocr.synth.nicop import nicop_identity, render_nicop_front
from cnic_ocr.synth.plain import render_plain_front
from cnic_ocr.synth.randomness import stream
from cnic_ocr.synth.snic import render_snic_front

Condition = Literal["clean", "phone", "rotated", "lowres", "large", "negative", "handheld"]
CONDITIONS: Final[tuple[Condition, ...]] = (
    "clean", "phone", "rotated", "lowres", "large", "negative", "handheld",
)  # fmt: skip
#: Drawings of the card: ``classic`` (the first generator's), ``snic`` (the smart card as real
#: cards show it), ``plain`` (a second design of the same fields), ``legacy`` (the older
#: non-chip card, which a recognizer of the eight fields must FAIL), ``nicop`` (the overseas
#: Pakistani's smart card: the same eight fields in a design of its own, mostly living abroad).
Family = Literal["classic", "snic", "plain", "legacy", "nicop"]
FAMILIES: Final[tuple[Family, ...]] = ("classic", "snic", "plain", "legacy", "nicop")
#: The family kept out of tuning: a recognizer's figure on it shows what generalises. ``nicop``
#: since 2026-12-01 (drawn by someone who had not read the recognizer); ``plain`` before that.
HELD_OUT_FAMILY: Final[Family] = "nicop"
SampleKind = Literal["front", "legacy_front", "negative"]

#: Fronts for the ``large`` condition are rendered bigger so that 3000-4000 px photos stay sharp.
LARGE_CARD_WIDTH = 1600

_SHOTS: dict[str, Shot] = {
    "clean": CLEAN, "phone": PHONE, "rotated": PHONE, "lowres": LOWRES, "large": LARGE, "handheld": HANDHELD,
}  # fmt: skip


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
    family: Family
    #: The API body a perfect recognizer returns: OK with ``truth``, or FAIL with the message
    #: ("not identity card" for a negative, "check input image and retry" for a legacy front).
    expected: dict[str, Any]

    @property
    def extension(self) -> str:
        return "jpg" if self.fmt == "jpeg" else "png"


def generate(seed: int, condition: str, family: str = "classic") -> Sample:
    """The sample of ``seed`` (>= 0) under ``condition`` (see :data:`CONDITIONS`) in ``family``."""
    checked = _checked(condition, CONDITIONS, "condition")
    drawing = _checked(family, FAMILIES, "family")
    # the classic family keeps its original random streams, so its bytes never change
    rng = stream(seed, "photo", checked) if drawing == "classic" else stream(seed, "photo", checked, drawing)
    if checked == "negative":
        kind: NegativeKind = NEGATIVE_KINDS[seed % len(NEGATIVE_KINDS)]
        photo = negative_photo(seed, kind, rng, realistic_back=drawing != "classic")
        meta = {**photo.meta, "negative_kind": kind}
        expected: dict[str, Any] = {"status": OcrStatus.FAIL.value, "message": MSG_NOT_IDENTITY_CARD}
        return Sample(photo.image, photo.fmt, None, "negative", "negative", seed, meta, drawing, expected)
    width = LARGE_CARD_WIDTH if condition == "large" else DEFAULT_CARD_WIDTH
    identity = _identity(drawing, seed)
    card = _render(drawing, identity, seed, width)
    rotation = 90 * (1 + seed % 3) if condition == "rotated" else 0
    marks = {name: _corners(box) for name, box in card.boxes.items()}
    photo = photograph(card.image, rng, _SHOTS[condition], rotation=rotation, marks=marks)
    meta = {**photo.meta, **_identity_meta(identity)}
    if drawing == "legacy":
        expected = {"status": OcrStatus.FAIL.value, "message": MSG_RECOGNITION_FAILED}
        return Sample(photo.image, photo.fmt, None, checked, "legacy_front", seed, meta, drawing, expected)
    truth = identity.truth()
    expected = {"status": OcrStatus.OK.value, "message": truth}
    return Sample(photo.image, photo.fmt, truth, checked, "front", seed, meta, drawing, expected)


def _identity(family: Family, seed: int) -> Identity:
    if family == "classic":
        return random_identity(seed)
    if family == "nicop":  # varied_identity with a country of stay abroad (a stream of its own)
        return nicop_identity(seed)
    return varied_identity(seed)


def _render(family: Family, identity: Identity, seed: int, width: int) -> CardImage:
    if family == "snic":
        return render_snic_front(identity, seed, width)
    if family == "plain":
        return render_plain_front(identity, seed, width)
    if family == "legacy":
        return render_legacy_front(identity, seed, width)
    if family == "nicop":
        return render_nicop_front(identity, seed, width)
    return render_front(identity, seed, width)


def generate_set(n: int, condition: str, base_seed: int = 0, family: str = "classic") -> Iterator[Sample]:
    """``n`` samples of seeds ``base_seed`` .. ``base_seed + n - 1``."""
    for index in range(n):
        yield generate(base_seed + index, condition, family)


def _checked[T: str](value: str, known: tuple[T, ...], what: str) -> T:
    for option in known:
        if value == option:
            return option
    raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(known)}")


def _corners(box: Box) -> np.ndarray[Any, np.dtype[np.float64]]:
    left, top, right, bottom = box
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def _identity_meta(identity: Identity) -> dict[str, Any]:
    return {
        "father_label": identity.father_label,
        "lifetime": identity.expiry is None,
        "minor": identity.minor_until is not None,
    }


__all__ = [
    "CONDITIONS",
    "FAMILIES",
    "HELD_OUT_FAMILY",
    "NEGATIVE_KINDS",
    "Condition",
    "Family",
    "Sample",
    "generate",
    "generate_set",
]
