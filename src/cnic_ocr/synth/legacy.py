"""The older non-chip CNIC front (family ``legacy``): almost all Urdu, a mirror of the smart card.

A colour portrait on a blue background at the left with the signature under it, the crest at
the top right, a large green flag behind the text, an Urdu title, the identity number in Latin
under it, then right-aligned Urdu "label : value" lines; only the number and the birth date
(DD/MM/YYYY) are in Latin script. No country, no issue or expiry date: a recognizer that reads
the contract's eight fields must answer "check input image and retry" for it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cnic_ocr.synth.background import draw_star
from cnic_ocr.synth.card import CardImage, card_height, round_corners
from cnic_ocr.synth.faces import Face
from cnic_ocr.synth.identities import Identity
from cnic_ocr.synth.pen import RGB, Pen, crest
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, pick, stream, uniform

MARKS_URDU = ("تل دائیں گال پر", "تل بائیں گال پر", "نشان ماتھے پر", "تل ٹھوڑی پر", "نشان دائیں ہاتھ پر")


def render_legacy_front(identity: Identity, look_seed: int, width: int) -> CardImage:
    """The older card's front for ``identity``; ``look_seed`` decides the print run."""
    rng = stream(look_seed, "legacy-front-look")
    w, h = width, card_height(width)
    dx, dy, scale = uniform(rng, -0.02, 0.02), uniform(rng, -0.025, 0.025), uniform(rng, 0.92, 1.08)

    def x(fraction: float) -> float:
        return (fraction + dx + uniform(rng, -0.004, 0.004)) * w

    def y(fraction: float) -> float:
        return (fraction + dy + uniform(rng, -0.005, 0.005)) * h

    def px(fraction: float) -> float:
        return fraction * h * scale * uniform(rng, 0.97, 1.03)

    image = _flag_background(w, h, rng)
    pen = Pen(image)
    ink = (int(rng.integers(10, 40)), int(rng.integers(20, 50)), int(rng.integers(20, 60)))
    green = (int(rng.integers(0, 40)), int(rng.integers(90, 130)), int(rng.integers(40, 80)))
    crest(image, (x(0.82), y(0.03), x(0.96), y(0.3)), green, rng)
    female = identity.gender == "F" or (identity.gender == "X" and chance(rng, 0.5))
    photo = portrait(round(0.24 * w), round(0.5 * h), rng, female=female)
    blue = np.asarray(photo, np.float32)
    backdrop = blue.mean(axis=2) > 215  # the studio backdrop becomes the older card's blue
    blue[backdrop] = [int(rng.integers(60, 110)), int(rng.integers(120, 160)), int(rng.integers(200, 240))]
    image.paste(Image.fromarray(blue.astype(np.uint8), "RGB"), (round(x(0.04)), round(y(0.22))))
    sig = signature(round(0.22 * w), round(0.1 * h), rng, (20, 30, 90))
    image.paste(sig, (round(x(0.05)), round(y(0.78))), sig)
    title_right = x(0.79)
    pen.text(title_right, y(0.04), "حکومت پاکستان", px=px(0.07), face="noto-arabic", weight=700,
             fill=green, anchor="r")  # fmt: skip
    title = pen.text(title_right, y(0.14), "قومی شناختی کارڈ", px=px(0.065), face="noto-arabic",
                     weight=600, fill=green, anchor="r")  # fmt: skip
    number_face: Face = pick(rng, ("arimo", "roboto-condensed", "dejavu-sans"))
    pen.text((title[0] + title[2]) / 2, title[3] + 0.04 * h, identity.id_number, px=px(0.06),
             face=number_face, weight=700, fill=ink, anchor="m")  # fmt: skip
    relative = "شوہر کا نام" if identity.father_label == "Husband Name" else "والد کا نام"
    lines = (
        f"نام : {identity.name_urdu}",
        f"جنس : {'عورت' if female else 'مرد'}",
        f"{relative} : {identity.father_name_urdu}",
        f"شناختی علامت : {pick(rng, MARKS_URDU)}",
        f"تاریخ پیدائش : {identity.birth:%d/%m/%Y}",
    )
    top, step = uniform(rng, 0.43, 0.47), uniform(rng, 0.1, 0.112)
    for index, line in enumerate(lines):
        pen.text(x(0.95), y(top + index * step), line, px=px(0.055), face="noto-arabic",
                 weight=int(rng.integers(400, 600)), fill=ink, anchor="r", max_width=0.6 * w)  # fmt: skip
    return CardImage(round_corners(image, rng))


def _flag_background(w: int, h: int, rng: np.random.Generator) -> Image.Image:
    """Pale paper with a large, faded green flag (white hoist, crescent and star) behind the text."""
    paper: RGB = (int(rng.integers(232, 248)), int(rng.integers(238, 252)), int(rng.integers(226, 242)))
    image = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(image)
    fade = uniform(rng, 0.25, 0.45)
    flag = _mix(paper, (1, 102, 56), fade)
    left = uniform(rng, 0.3, 0.4) * w
    draw.rectangle((left, 0.32 * h, w, h), fill=flag)
    cx, cy, r = left + 0.3 * w, 0.66 * h, 0.22 * h
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=paper)
    draw.ellipse((cx - r * 0.7, cy - r * 1.05, cx + r * 1.25, cy + r * 0.8), fill=flag)
    draw_star(draw, (cx + r * 0.55, cy - r * 0.35), r * 0.35, fill=paper)
    for k in range(int(rng.integers(30, 50))):  # fine security lines
        yy = k * h / 40 + uniform(rng, -2, 2)
        draw.line([(0, yy), (w, yy + uniform(rng, -0.1, 0.1) * h)], fill=flag, width=1)
    return image


def _mix(a: RGB, b: RGB, share: float) -> RGB:
    """``share`` of the way from ``a`` to ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )
