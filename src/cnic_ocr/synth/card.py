"""Renders of the smart card (SNIC): the front with its fields, the back, and a blank card.

Layout in fractions of the card (``docs/cnic-facts.md``): header across the top, emblem,
chip and ghost portrait on the left, labels and values in the centre column (x ≈ 0.25-0.68),
portrait and signature on the right. Sizes, positions, colours and the background vary per
look seed so that a recognizer cannot learn exact pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from cnic_ocr.synth.background import draw_star, tinted_card_background
from cnic_ocr.synth.fonts import FontName, font, urdu_drawable
from cnic_ocr.synth.identities import Identity, printed_date
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, stream, uniform

#: ISO/IEC 7810 ID-1: 85.60 x 53.98 mm.
CARD_ASPECT = 85.60 / 53.98
DEFAULT_CARD_WIDTH = 1000
CORNER_RADIUS = 3.18 / 85.60  # of the width

Box = tuple[float, float, float, float]
RGB = tuple[int, int, int]

COLUMN_X = 0.245
SECOND_COLUMN_X = 0.5
COLUMN_RIGHT = 0.685


@dataclass
class CardImage:
    """An RGBA render (transparent outside the rounded corners) and where its values were drawn."""

    image: Image.Image
    #: Field name → box (left, top, right, bottom) of the printed value, in the render's pixels.
    boxes: dict[str, Box] = field(default_factory=dict)


def card_height(width: int) -> int:
    return round(width / CARD_ASPECT)


class TextPainter:
    """Draws text in card fractions with the per-card jitter and size scale applied."""

    def __init__(self, image: Image.Image, rng: np.random.Generator) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.rng = rng
        self.w, self.h = image.size
        self.size_scale = uniform(rng, 0.9, 1.1)
        self.dx, self.dy = uniform(rng, -0.012, 0.012), uniform(rng, -0.015, 0.015)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        name: FontName,
        fill: RGB,
        right: float = COLUMN_RIGHT,
        left: float = 0.0,
        anchor: str = "la",
        urdu: bool = False,
    ) -> Box:
        """Draw ``text`` at fractions (x, y), shrunk to fit within ``left``-``right``; return its box.

        Left-anchored text must end before ``right``, right-anchored text start after ``left``.
        """
        jx = (x + self.dx + uniform(self.rng, -0.004, 0.004)) * self.w
        jy = (y + self.dy + uniform(self.rng, -0.004, 0.004)) * self.h
        pixels = max(7, round(size * self.h * self.size_scale * uniform(self.rng, 0.97, 1.03)))
        drawable = urdu_drawable(text) if urdu else text
        if anchor[0] == "l":
            available = (right + self.dx) * self.w - jx
        elif anchor[0] == "r":
            available = jx - (left + self.dx) * self.w
        else:
            available = self.w
        face = font(name, pixels)
        while face.getlength(drawable) > available and pixels > 8:
            pixels -= 1
            face = font(name, pixels)
        self.draw.text((jx, jy), drawable, font=face, fill=fill, anchor=anchor)
        x0, y0, x1, y1 = self.draw.textbbox((jx, jy), drawable, font=face, anchor=anchor)
        return (float(x0), float(y0), float(x1), float(y1))


def render_front(identity: Identity, look_seed: int, width: int = DEFAULT_CARD_WIDTH) -> CardImage:
    """The front of ``identity``'s card; ``look_seed`` decides tint, jitter, portrait and sizes."""
    rng = stream(look_seed, "front-look")
    height = card_height(width)
    image = Image.fromarray(tinted_card_background(width, height, rng), "RGB")
    painter = TextPainter(image, rng)
    header_ink = _jitter_colour(rng, (0, 95, 55), 20)
    label_ink = _jitter_colour(rng, (70, 78, 72), 25)
    value_ink = _jitter_colour(rng, (22, 24, 28), 18)
    value_font: FontName = "sans-bold" if chance(rng, 0.5) else "sans"
    label_size, value_size, urdu_size = 0.029, uniform(rng, 0.041, 0.046), 0.044

    _draw_header(painter, header_ink)
    female = identity.gender == "F" or (identity.gender == "X" and chance(rng, 0.5))
    photo = portrait(int(0.255 * width), int(0.6 * height), rng, female=female)
    _draw_left_column(image, rng, header_ink, photo)
    _draw_portrait_area(image, rng, photo, label_ink)

    boxes: dict[str, Box] = {}
    x, x2 = COLUMN_X, SECOND_COLUMN_X

    def label(lx: float, ly: float, text: str, right: float = COLUMN_RIGHT) -> None:
        painter.text(lx, ly, text, size=label_size, name="sans", fill=label_ink, right=right)

    def value(key: str, vx: float, vy: float, text: str, right: float = COLUMN_RIGHT) -> None:
        boxes[key] = painter.text(vx, vy, text, size=value_size, name=value_font, fill=value_ink, right=right)

    label(x, 0.19, "Name")
    value("name", x, 0.235, identity.name)
    painter.text(x, 0.305, identity.name_urdu, size=urdu_size, name="sans", fill=value_ink, urdu=True)
    label(x, 0.4, identity.father_label)
    value("fatherName", x, 0.445, identity.father_name)
    painter.text(x, 0.515, identity.father_name_urdu, size=urdu_size, name="sans", fill=value_ink, urdu=True)
    rows = (
        (0.6, ("Gender", "gender", identity.gender), ("Country of Stay", "country", identity.country)),
        (
            0.725,
            ("Identity Number", "idNumber", identity.id_number),
            ("Date of Birth", "birthDay", printed_date(identity.birth)),
        ),
        (
            0.85,
            ("Date of Issue", "issueDay", printed_date(identity.issue)),
            ("Date of Expiry", "expiryDay", identity.printed_expiry),
        ),
    )
    for row_y, (left_label, left_key, left_value), (right_label, right_key, right_value) in rows:
        label(x, row_y, left_label, right=x2 - 0.025)
        label(x2, row_y, right_label)
        value(left_key, x, row_y + 0.045, left_value, right=x2 - 0.025)
        value(right_key, x2, row_y + 0.045, right_value)
    return CardImage(round_corners(image, rng), boxes)


def render_back(identity: Identity, look_seed: int, width: int = DEFAULT_CARD_WIDTH) -> CardImage:
    """The back: identity number top right, Urdu addresses, a QR-like block, a mini portrait."""
    rng = stream(look_seed, "back-look")
    height = card_height(width)
    image = Image.fromarray(tinted_card_background(width, height, rng), "RGB")
    painter = TextPainter(image, rng)
    ink = _jitter_colour(rng, (25, 28, 30), 15)
    header_ink = _jitter_colour(rng, (0, 95, 55), 20)
    painter.text(0.95, 0.05, identity.id_number, size=0.05, name="sans-bold", fill=ink, anchor="ra")
    for top, title, address in (
        (0.17, "موجودہ پتہ:", identity.present_address_urdu),
        (0.4, "مستقل پتہ:", identity.permanent_address_urdu),
    ):
        painter.text(0.95, top, title, size=0.04, name="sans", fill=header_ink, anchor="ra", urdu=True)
        for i, line in enumerate(_wrap(address, font("sans", round(0.04 * height)), 0.58 * width)):
            painter.text(
                0.95, top + 0.065 * (i + 1), line, size=0.04, name="sans", fill=ink, anchor="ra", urdu=True
            )
    note = "اگر یہ کارڈ کہیں ملے تو قریبی لیٹر بکس میں ڈال دیں"
    painter.text(0.95, 0.9, note, size=0.036, name="sans", fill=ink, anchor="ra", urdu=True)
    painter.text(
        0.62, 0.66, "رجسٹرار جنرل پاکستان", size=0.036, name="sans", fill=ink, anchor="ma", urdu=True
    )
    painter.text(0.62, 0.73, "Registrar General of Pakistan", size=0.03, name="sans", fill=ink, anchor="ma")
    sig = signature(int(width * 0.2), int(height * 0.1), rng, (20, 30, 90))
    image.paste(sig, (int(width * 0.52), int(height * 0.55)), sig)
    mini = portrait(int(width * 0.11), int(height * 0.24), rng, female=identity.gender == "F")
    image.paste(ImageOps.grayscale(mini).convert("RGB"), (int(width * 0.05), int(height * 0.08)))
    _draw_qr_block(image, rng, (0.05, 0.42, 0.3, 0.42 + 0.25 * CARD_ASPECT))
    return CardImage(round_corners(image, rng))


def render_blank(look_seed: int, width: int = DEFAULT_CARD_WIDTH) -> CardImage:
    """A card with the printed background only: no text, no photo."""
    rng = stream(look_seed, "blank-look")
    height = card_height(width)
    image = Image.fromarray(tinted_card_background(width, height, rng), "RGB")
    if chance(rng, 0.5):
        _draw_chip(ImageDraw.Draw(image), (0.05 * width, 0.43 * height, 0.17 * width, 0.6 * height))
    return CardImage(round_corners(image, rng))


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap of (Urdu) text to lines no wider than ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(urdu_drawable(f"{lines[-1]} {word}")) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _jitter_colour(rng: np.random.Generator, colour: RGB, spread: int) -> RGB:
    r, g, b = (int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in colour)
    return (r, g, b)


def _draw_header(painter: TextPainter, ink: RGB) -> None:
    bold: FontName = "sans-bold"
    painter.text(0.035, 0.03, "PAKISTAN", size=0.078, name=bold, fill=ink, right=0.34)
    painter.text(0.037, 0.118, "ISLAMIC REPUBLIC OF PAKISTAN", size=0.031, name=bold, fill=ink, right=0.5)
    painter.text(
        0.64,
        0.04,
        "اسلامی جمہوریہ پاکستان",
        size=0.04,
        name="sans",
        fill=ink,
        anchor="ra",
        left=0.37,
        urdu=True,
    )
    painter.text(
        0.965, 0.03, "قومی شناختی کارڈ", size=0.045, name=bold, fill=ink, anchor="ra", left=0.68, urdu=True
    )
    painter.text(
        0.965, 0.115, "National Identity Card", size=0.04, name=bold, fill=ink, anchor="ra", left=0.6
    )


def _draw_left_column(image: Image.Image, rng: np.random.Generator, ink: RGB, photo: Image.Image) -> None:
    """Emblem, chip, and the ghost portrait: a faded small copy of the holder's photo."""
    w, h = image.size
    draw = ImageDraw.Draw(image)
    # emblem: a ring, a crescent and a star
    cx, cy, r = 0.11 * w, 0.3 * h, 0.085 * h
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=max(1, round(w / 400)))
    draw.ellipse((cx - r * 0.75, cy - r * 0.75, cx + r * 0.75, cy + r * 0.75), fill=ink)
    draw.ellipse((cx - r * 0.55, cy - r * 0.8, cx + r * 0.85, cy + r * 0.6), fill=(225, 238, 225))
    draw_star(draw, (cx + r * 0.35, cy - r * 0.3), r * 0.22, fill=ink)
    chip_box = (0.05 * w, 0.43 * h, 0.17 * w, 0.6 * h)
    _draw_chip(draw, chip_box)
    ghost_h = int(0.24 * h)
    ghost = photo.resize((round(ghost_h * photo.width / photo.height), ghost_h), Image.Resampling.BILINEAR)
    faded = ImageOps.grayscale(ghost).point(lambda v: 150 + v * 100 // 255).convert("RGB")
    mask = Image.new("L", faded.size, int(uniform(rng, 90, 140)))
    image.paste(faded, (int(0.05 * w), int(0.68 * h)), mask)


def _draw_chip(draw: ImageDraw.ImageDraw, box: Box) -> None:
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=(x1 - x0) * 0.15, fill=(212, 180, 98), outline=(150, 120, 60), width=2)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = (x1 - x0) * 0.15, (y1 - y0) * 0.18
    line = (160, 130, 70)
    draw.line([(x0, my), (x1, my)], fill=line, width=2)
    draw.line([(mx, y0), (mx, y1)], fill=line, width=2)
    draw.rectangle((mx - hw, my - hh, mx + hw, my + hh), fill=(222, 192, 110), outline=line, width=2)


def _draw_portrait_area(
    image: Image.Image, rng: np.random.Generator, photo: Image.Image, label_ink: RGB
) -> None:
    w, h = image.size
    px0, py0 = uniform(rng, 0.695, 0.705) * w, uniform(rng, 0.185, 0.2) * h
    image.paste(photo, (int(px0), int(py0)))
    sig_ink = (int(rng.integers(10, 40)), int(rng.integers(20, 50)), int(rng.integers(60, 140)))
    sig = signature(int(0.22 * w), int(0.08 * h), rng, sig_ink)
    image.paste(sig, (int(0.715 * w), int(0.81 * h)), sig)
    draw = ImageDraw.Draw(image)
    label_font = font("sans", max(7, round(0.027 * h)))
    draw.text((0.825 * w, 0.925 * h), "Holder's Signature", font=label_font, fill=label_ink, anchor="ma")


def _draw_qr_block(image: Image.Image, rng: np.random.Generator, box: Box) -> None:
    """A QR-looking pattern: random modules and three finder squares (not a decodable code)."""
    w, h = image.size
    modules = 29
    cells = rng.random((modules, modules)) < 0.5
    for fy, fx in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        cells[fy : fy + 7, fx : fx + 7] = False
        cells[fy, fx : fx + 7] = cells[fy + 6, fx : fx + 7] = True
        cells[fy : fy + 7, fx] = cells[fy : fy + 7, fx + 6] = True
        cells[fy + 2 : fy + 5, fx + 2 : fx + 5] = True
    side = int(min((box[2] - box[0]) * w, (box[3] - box[1]) * h))
    pixels = np.where(cells, 0, 255).astype(np.uint8)
    qr = Image.fromarray(pixels, "L").resize((side, side), Image.Resampling.NEAREST)
    quiet = int(side * 0.06)
    framed = ImageOps.expand(qr, border=quiet, fill=255).convert("RGB")
    image.paste(framed, (int(box[0] * w), int(box[1] * h)))


def round_corners(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Rounded ID-1 corners as alpha, a faint darker rim, and a touch of print softness."""
    w, h = image.size
    radius = round(CORNER_RADIUS * w)
    sigma = uniform(rng, 0.3, 0.6) * w / 1000
    soft = Image.fromarray(cv2.GaussianBlur(np.asarray(image), (0, 0), sigma), "RGB")
    rim = ImageDraw.Draw(soft)
    rim.rounded_rectangle(
        (0, 0, w - 1, h - 1), radius=radius, outline=(170, 180, 170), width=max(1, w // 500)
    )
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=255)
    soft.putalpha(mask)
    return soft
