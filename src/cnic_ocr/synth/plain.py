"""A second drawing of the same card (family ``plain``): same labelled fields, another design.

Text column on the left, photo on the right, no chip strip, a coloured header band instead of
the crest-and-PAKISTAN line, plain pastel paper instead of guilloche, other faces and inks.
Labels sit above their values or before them with a colon. It is the family kept out of tuning:
what a recognizer scores on it says whether it reads labels and values or memorised a layout.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cnic_ocr.synth.card import CardImage, card_height, round_corners
from cnic_ocr.synth.faces import Face
from cnic_ocr.synth.identities import Identity, printed_date
from cnic_ocr.synth.pen import RGB, Box, Pen, shade
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, pick, stream, uniform

BANDS: tuple[RGB, ...] = ((20, 50, 110), (110, 25, 40), (10, 90, 90), (25, 80, 45), (60, 60, 70))
PAPERS: tuple[RGB, ...] = (
    (236, 242, 250),
    (250, 246, 232),
    (242, 238, 250),
    (240, 242, 240),
    (250, 240, 236),
)
FACES: tuple[Face, ...] = ("dejavu-serif", "pt-sans-narrow", "arimo", "dejavu-sans", "roboto-condensed")


def render_plain_front(identity: Identity, look_seed: int, width: int) -> CardImage:
    """The front of ``identity``'s card in the second design; ``look_seed`` decides the print run."""
    rng = stream(look_seed, "plain-front-look")
    w, h = width, card_height(width)
    dx, dy, scale = uniform(rng, -0.02, 0.02), uniform(rng, -0.02, 0.02), uniform(rng, 0.92, 1.08)
    band = shade(rng, pick(rng, BANDS), 15)
    image = _paper(w, h, rng, band)
    pen = Pen(image)
    draw = ImageDraw.Draw(image)
    band_bottom = round(uniform(rng, 0.16, 0.2) * h)
    draw.rectangle((0, 0, w, band_bottom), fill=band)
    title_face: Face = pick(rng, ("dejavu-serif", "arimo", "pt-sans-narrow"))
    white = (250, 250, 245)
    centred = chance(rng, 0.5)
    title_x, anchor = (w / 2, "m") if centred else (0.04 * w, "l")
    pen.text(title_x, 0.025 * h, "ISLAMIC REPUBLIC OF PAKISTAN", px=0.06 * h * scale, face=title_face,
             weight=700, fill=white, anchor=anchor, max_width=0.9 * w)  # fmt: skip
    pen.text(title_x, band_bottom - 0.065 * h, "National Identity Card", px=0.05 * h * scale,
             face=title_face, fill=(225, 225, 215), anchor=anchor, max_width=0.6 * w)  # fmt: skip
    if not centred:
        pen.text(0.96 * w, band_bottom - 0.075 * h, "قومی شناختی کارڈ", px=0.055 * h, face="noto-arabic",
                 fill=white, anchor="r")  # fmt: skip

    female = identity.gender == "F" or (identity.gender == "X" and chance(rng, 0.5))
    photo_left, photo_top = (uniform(rng, 0.68, 0.71) + dx) * w, (uniform(rng, 0.26, 0.3) + dy) * h
    photo = portrait(round(0.25 * w), round(0.5 * h), rng, female=female)
    frame = (photo_left - 3, photo_top - 3, photo_left + photo.width + 2, photo_top + photo.height + 2)
    draw.rectangle(frame, outline=band, width=3)
    image.paste(photo, (round(photo_left), round(photo_top)))
    sig = signature(round(0.22 * w), round(0.09 * h), rng, (20, 30, 90))
    image.paste(sig, (round(photo_left), round(photo_top + photo.height + 0.03 * h)), sig)

    value_face = pick(rng, FACES)
    label_face = pick(rng, FACES)
    value_ink = shade(rng, pick(rng, ((20, 20, 25), (15, 30, 80), (70, 20, 25))), 10)
    label_ink = shade(rng, band, 20)
    value_px = uniform(rng, 0.05, 0.06) * h * scale
    label_px = value_px * uniform(rng, 0.62, 0.8)
    inline = chance(rng, 0.4)
    left, right = (0.05 + dx) * w, (0.64 + dx) * w
    fields = (
        ("Name", "name", identity.name),
        (identity.father_label, "fatherName", identity.father_name),
        ("Gender", "gender", identity.gender),
        ("Country of Stay", "country", identity.country),
        ("Identity Number", "idNumber", identity.id_number),
        ("Date of Birth", "birthDay", identity.printed_birth),
        ("Date of Issue", "issueDay", printed_date(identity.issue)),
        ("Date of Expiry", "expiryDay", identity.printed_expiry),
    )
    boxes: dict[str, Box] = {}
    top = band_bottom + uniform(rng, 0.04, 0.06) * h + dy * h
    if inline:  # "Label: value", one field a line
        step = (0.97 * h - top) / len(fields)
        value_column = left + uniform(rng, 0.2, 0.24) * w
        for index, (label, key, text) in enumerate(fields):
            y = top + index * step
            shown = pen.text(left, y + 0.2 * value_px, f"{label}:", px=label_px, face=label_face,
                             weight=600, fill=label_ink)  # fmt: skip
            start = max(shown[2] + 0.015 * w, value_column)
            boxes[key] = pen.text(start, y, text, px=value_px, face=value_face, fill=value_ink,
                                  max_width=right - start)  # fmt: skip
        return CardImage(round_corners(image, rng), boxes)
    rows = ((fields[0],), (fields[1],), fields[2:4], fields[4:6], fields[6:8])
    step = (0.98 * h - top) / len(rows)
    for index, row in enumerate(rows):
        y = top + index * step
        for column, (label, key, text) in enumerate(row):
            x = left + column * (right - left) * 0.48
            limit = (right - left) * (0.46 if len(row) > 1 else 1.0)
            pen.text(x, y, label, px=label_px, face=label_face, fill=label_ink, max_width=limit)
            boxes[key] = pen.text(x, y + label_px * 1.2, text, px=value_px, face=value_face,
                                  fill=value_ink, max_width=limit)  # fmt: skip
    return CardImage(round_corners(image, rng), boxes)


def _paper(w: int, h: int, rng: np.random.Generator, band: RGB) -> Image.Image:
    """Pastel paper with a vertical gradient and faint diagonal hatching in the band's colour."""
    top = np.array(shade(rng, pick(rng, PAPERS), 6), np.float32)
    bottom = top - uniform(rng, 0, 14)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    pixels = np.repeat(top * (1 - ramp) + bottom * ramp, w, axis=1)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    faint = tuple(round(c * 0.1 + t * 0.9) for c, t in zip(band, top.tolist(), strict=True))
    spacing = uniform(rng, 10, 18) * w / 1000
    for k in range(int((w + h) / spacing)):
        x0 = k * spacing - h
        draw.line([(x0, h), (x0 + h, 0)], fill=(faint[0], faint[1], faint[2]), width=1)
    return image
