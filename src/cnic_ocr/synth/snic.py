"""The smart card (SNIC) as real cards show it: front (family ``snic``) and back (a negative).

Drawn from ``docs/cnic-facts.md`` and from looking at real cards, not from the
recognizer: crest top left, PAKISTAN with "National Identity Card" on the same line, a
colour-shifting flag patch top right, chip and ghost portrait on the left, the name fields with
their Urdu line right-aligned under each, a ruled grid of six cells, a greyscale portrait and a
signature or thumbprint on the right. Every position, size, face and ink is drawn per card
around the values here, by several per cent, so no two cards share a pixel grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from cnic_ocr.synth.background import draw_star, tinted_card_background
from cnic_ocr.synth.card import CardImage, card_height, round_corners
from cnic_ocr.synth.faces import LATIN_FACES, Face
from cnic_ocr.synth.identities import Identity, printed_date
from cnic_ocr.synth.pen import RGB, Box, Pen, crest, qr_like, shade, thumbprint
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, pick, stream, uniform

#: The flag patch's colour under different light (gold, orange, green, pink, blue).
PATCH_COLOURS: tuple[RGB, ...] = (
    (214, 170, 60),
    (236, 120, 40),
    (90, 170, 90),
    (226, 120, 160),
    (90, 140, 210),
)
LOST_CARD_URDU = "گمشدہ کارڈ ملنے پر قریبی لیٹر بکس میں ڈال دیں"
#: Share of backs drawn as the overseas card's (NICOP): English address and a machine-readable zone.
OVERSEAS_BACK_SHARE = 0.25
LOCALITIES = (
    "Model Town",
    "Gulshan-e-Iqbal",
    "Satellite Town",
    "Gulberg",
    "New Colony",
    "Shah Faisal Colony",
)
CITIES = ("Lahore", "Karachi", "Peshawar", "Quetta", "Multan", "Faisalabad", "Rawalpindi", "Mirpur")


@dataclass(frozen=True, slots=True)
class Look:
    """One card's print run: shifts, scales, faces and inks, drawn once per card."""

    rng: np.random.Generator
    w: int
    h: int
    dx: float  # shift of everything, in card widths
    dy: float  # in card heights
    scale: float  # of every text size
    value_face: Face
    value_weight: int
    squeeze: float
    label_ratio: float  # label size / value size (0.6-0.66 on real cards)
    value_ink: RGB
    label_ink: RGB
    rule_ink: RGB
    header_ink: RGB

    def x(self, fraction: float) -> float:
        return (fraction + self.dx + uniform(self.rng, -0.004, 0.004)) * self.w

    def y(self, fraction: float) -> float:
        return (fraction + self.dy + uniform(self.rng, -0.005, 0.005)) * self.h

    def px(self, fraction_of_height: float) -> float:
        return fraction_of_height * self.h * self.scale * uniform(self.rng, 0.97, 1.03)


def draw_look(rng: np.random.Generator, width: int) -> Look:
    """A print run: faces and inks of the card's own kind, positions within a few per cent."""
    face = pick(rng, LATIN_FACES)
    narrow = {"roboto-condensed": (0.95, 1.03), "pt-sans-narrow": (0.97, 1.05)}.get(face, (0.8, 0.9))
    grey = int(rng.integers(20, 55))
    return Look(
        rng=rng,
        w=width,
        h=card_height(width),
        dx=uniform(rng, -0.018, 0.018),
        dy=uniform(rng, -0.022, 0.022),
        scale=uniform(rng, 0.92, 1.08),
        value_face=face,
        value_weight=int(rng.integers(450, 620)),
        squeeze=uniform(rng, *narrow),
        label_ratio=uniform(rng, 0.58, 0.67),
        value_ink=(grey, grey + int(rng.integers(0, 10)), grey + int(rng.integers(0, 25))),
        label_ink=shade(rng, (70, 80, 80), 20),
        rule_ink=shade(rng, (120, 150, 135), 25),
        header_ink=shade(rng, (45, 62, 72), 15),
    )


def render_snic_front(identity: Identity, look_seed: int, width: int) -> CardImage:
    """The front of ``identity``'s smart card; ``look_seed`` decides the print run and the portrait."""
    rng = stream(look_seed, "snic-front-look")
    look = draw_look(rng, width)
    image = Image.fromarray(tinted_card_background(look.w, look.h, rng), "RGB")
    pen = Pen(image)
    female = identity.gender == "F" or (identity.gender == "X" and chance(rng, 0.5))
    photo = ImageOps.autocontrast(
        ImageOps.grayscale(portrait(round(0.22 * look.w), round(0.5 * look.h), rng, female=female)), cutoff=1
    )
    _header(pen, look)
    _left_strip(pen, look, photo, identity)
    _portrait_side(pen, look, photo)
    boxes = _fields(pen, look, identity)
    return CardImage(round_corners(image, rng), boxes)


def _header(pen: Pen, look: Look) -> None:
    rng, w, h = look.rng, look.w, look.h
    crest(
        pen.image,
        (look.x(0.045), look.y(0.035), look.x(0.19), look.y(0.31)),
        shade(rng, (40, 120, 80), 20),
        rng,
    )
    title_face: Face = pick(rng, ("arimo", "roboto-condensed", "dejavu-sans"))
    pakistan = pen.text(
        look.x(0.235), look.y(0.075), "PAKISTAN", px=look.px(0.085), face=title_face, weight=720,
        fill=look.header_ink, squeeze=uniform(rng, 0.92, 1.05), max_width=0.27 * w,
    )  # fmt: skip
    pen.text(
        pakistan[0], pakistan[3] + 0.012 * h, "ISLAMIC REPUBLIC OF PAKISTAN", px=look.px(0.026),
        face=title_face, weight=700, fill=look.header_ink, max_width=pakistan[2] - pakistan[0],
    )  # fmt: skip
    nic_left = max(pakistan[2] + uniform(rng, 0.025, 0.045) * w, look.x(0.5))
    nic = pen.text(
        nic_left, (pakistan[1] + pakistan[3]) / 2 - look.px(0.022), "National Identity Card",
        px=look.px(0.05), face=title_face, weight=600, fill=look.header_ink,
        squeeze=uniform(rng, 0.9, 1.0), max_width=0.8 * w - nic_left,
    )  # fmt: skip
    if chance(rng, 0.6):
        pen.text(
            nic[2], nic[3] + 0.02 * h, "قومی شناختی کارڈ", px=look.px(0.045), face="noto-arabic",
            fill=look.header_ink, anchor="r", opacity=uniform(rng, 0.5, 0.8),
        )  # fmt: skip
    _flag_patch(pen.image, (look.x(0.835), look.y(0.06), look.x(0.925), look.y(0.2)), rng)


def _flag_patch(image: Image.Image, box: Box, rng: np.random.Generator) -> None:
    """The colour-shifting square: a tinted patch with a pale crescent and star, not text."""
    colour = shade(rng, pick(rng, PATCH_COLOURS), 20)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=colour)
    light = tuple(min(255, c + 70) for c in colour)
    draw.rectangle((x0, y0, x0 + (x1 - x0) * 0.25, y1), fill=light)
    cx, cy, r = x0 + (x1 - x0) * 0.6, (y0 + y1) / 2, (y1 - y0) * 0.3
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=light)
    draw.ellipse((cx - r * 0.6, cy - r * 1.05, cx + r * 1.2, cy + r * 0.75), fill=colour)
    draw_star(draw, (cx + r * 0.5, cy - r * 0.35), r * 0.35, fill=light)


def _left_strip(pen: Pen, look: Look, photo: Image.Image, identity: Identity) -> None:
    """Chip, ghost portrait with its 5-digit number, microtext, and a minor's vertical date."""
    rng, h = look.rng, look.h
    chip = (look.x(0.095), look.y(0.36), look.x(0.235), look.y(0.575))
    _chip(pen.image, chip, rng)
    ghost_box = (round(look.x(0.06)), round(look.y(0.69)), round(look.x(0.19)), round(look.y(0.93)))
    ghost = photo.resize((ghost_box[2] - ghost_box[0], ghost_box[3] - ghost_box[1]))
    faded = ghost.point(lambda v: 170 + v * 70 // 255).convert("RGB")
    pen.image.paste(faded, ghost_box[:2], Image.new("L", faded.size, int(rng.integers(60, 120))))
    pen.text(
        (ghost_box[0] + ghost_box[2]) / 2, look.y(0.77), f"{int(rng.integers(10000, 100000))}",
        px=look.px(0.06), face="arimo", fill=(120, 125, 130), anchor="m", opacity=uniform(rng, 0.4, 0.7),
    )  # fmt: skip
    pen.text(
        look.x(0.012), look.y(0.97), "PAK" * 30, px=0.016 * h, face="dejavu-sans", fill=look.rule_ink,
        opacity=0.5, turn=90, max_width=0.9 * h,
    )  # fmt: skip
    if identity.minor_until is not None:
        pen.text(
            look.x(0.03), look.y(0.93), f"Under 18 until {printed_date(identity.minor_until)}",
            px=look.px(0.036), face="arimo", weight=600, fill=shade(rng, (70, 130, 90), 20), turn=90,
            opacity=uniform(rng, 0.7, 0.95),
        )  # fmt: skip


def _chip(image: Image.Image, box: Box, rng: np.random.Generator) -> None:
    """A contact chip, gold (or silver under some light), with its contact pads."""
    base = shade(rng, (212, 176, 96), 14) if chance(rng, 0.8) else shade(rng, (196, 200, 206), 10)
    line = tuple(max(0, c - 70) for c in base)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=(x1 - x0) * 0.18, fill=base, outline=line, width=2)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    for fy in (0.33, 0.66):
        draw.line(
            [(x0, y0 + (y1 - y0) * fy), (x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * fy)], fill=line, width=2
        )
        draw.line(
            [(x1, y0 + (y1 - y0) * fy), (x1 - (x1 - x0) * 0.3, y0 + (y1 - y0) * fy)], fill=line, width=2
        )
    draw.line([(mx, y0), (mx, y0 + (y1 - y0) * 0.3)], fill=line, width=2)
    draw.line([(mx, y1), (mx, y1 - (y1 - y0) * 0.3)], fill=line, width=2)
    draw.ellipse((mx - (x1 - x0) * 0.2, my - (y1 - y0) * 0.18, mx + (x1 - x0) * 0.2, my + (y1 - y0) * 0.18),
                 outline=line, width=2)  # fmt: skip


def _portrait_side(pen: Pen, look: Look, photo: Image.Image) -> None:
    """Greyscale portrait, then a signature or a thumbprint over a rule and "Holder`s Signature"."""
    rng, w, h = look.rng, look.w, look.h
    left, top = round(look.x(0.715)), round(look.y(0.235))
    tone = photo.point(lambda v: 40 + v * 215 // 255)
    pen.image.paste(tone.convert("RGB"), (left, top), Image.new("L", tone.size, int(rng.integers(215, 256))))
    mark_box = (round(look.x(0.735)), round(look.y(0.765)))
    mark_w, mark_h = round(0.19 * w), round(0.13 * h)
    if chance(rng, 0.3):
        mark = thumbprint(round(mark_h * 0.9), mark_h, rng, shade(rng, (40, 45, 70), 20))
        pen.image.paste(mark, (mark_box[0] + round(mark_w * uniform(rng, 0.2, 0.5)), mark_box[1]), mark)
    else:
        ink = (int(rng.integers(10, 40)), int(rng.integers(20, 50)), int(rng.integers(50, 130)))
        mark = signature(mark_w, mark_h, rng, ink)
        pen.image.paste(mark, mark_box, mark)
    rule_y = look.y(0.915)
    pen.line([(look.x(0.72), rule_y), (look.x(0.94), rule_y)], look.rule_ink, 0.0025 * h)
    caption = "Holder`s Signature" if chance(rng, 0.7) else "Holder's Signature"
    pen.text(
        look.x(0.83), rule_y + 0.012 * h, caption, px=look.px(0.058) * look.label_ratio, face="arimo",
        fill=look.label_ink, anchor="m",
    )  # fmt: skip


def _fields(pen: Pen, look: Look, identity: Identity) -> dict[str, Box]:
    """Name and father's (husband's) name with their Urdu lines, then the ruled grid of six cells."""
    rng, h = look.rng, look.h
    boxes: dict[str, Box] = {}
    value_px = look.px(0.058)
    label_px = value_px * look.label_ratio
    left, right = look.x(0.285), look.x(0.69)
    rule_w = uniform(rng, 0.0018, 0.003) * h
    label_face: Face = pick(rng, ("arimo", look.value_face))

    def label(x: float, y: float, text: str, limit: float) -> None:
        pen.text(x, y, text, px=label_px, face=label_face, fill=look.label_ink, max_width=limit)

    def value(key: str, x: float, y: float, text: str, limit: float) -> None:
        boxes[key] = pen.text(
            x, y, text, px=value_px, face=look.value_face, weight=look.value_weight, fill=look.value_ink,
            squeeze=look.squeeze, max_width=limit,
        )  # fmt: skip

    urdu_px = value_px * uniform(rng, 0.85, 1.05)
    for key, label_text, english, urdu, top in (
        ("name", "Name", identity.name, identity.name_urdu, 0.2),
        ("fatherName", identity.father_label, identity.father_name, identity.father_name_urdu, 0.42),
    ):
        label(left + 0.004 * look.w, look.y(top), label_text, right - left)
        value(key, left + 0.01 * look.w, look.y(top + 0.05), english, right - left - 0.02 * look.w)
        pen.text(
            right - 0.01 * look.w, look.y(top + 0.12), urdu, px=urdu_px, face="noto-arabic",
            weight=int(rng.integers(400, 600)), fill=look.value_ink, anchor="r", max_width=right - left,
        )  # fmt: skip
        rule_y = look.y(top + 0.205)
        pen.line([(left, rule_y), (right, rule_y)], look.rule_ink, rule_w)
    rows = (
        (0.625, 0.365, ("Gender", "gender", identity.gender),
         ("Country of Stay", "country", identity.country)),
        (0.745, 0.505, ("Identity Number", "idNumber", identity.id_number),
         ("Date of Birth", "birthDay", identity.printed_birth)),
        (0.865, 0.505, ("Date of Issue", "issueDay", printed_date(identity.issue)),
         ("Date of Expiry", "expiryDay", identity.printed_expiry)),
    )  # fmt: skip
    for index, (top, split, first, second) in enumerate(rows):
        row_top, middle = look.y(top), look.x(split)
        if index:
            pen.line([(left, row_top), (right, row_top)], look.rule_ink, rule_w)
        pen.line([(middle, row_top), (middle, row_top + 0.115 * h)], look.rule_ink, rule_w)
        for (label_text, key, text), cell_left, cell_right in (
            (first, left, middle),
            (second, middle, right),
        ):
            pad = 0.008 * look.w
            label(cell_left + pad, row_top + 0.012 * h, label_text, cell_right - cell_left - pad)
            value(key, cell_left + 1.5 * pad, row_top + 0.055 * h, text, cell_right - cell_left - 2 * pad)
    return boxes


def render_snic_back(identity: Identity, look_seed: int, width: int) -> CardImage:
    """The back: Urdu addresses, the number top right above a QR code, a mini portrait, the registrar."""
    rng = stream(look_seed, "snic-back-look")
    look = draw_look(rng, width)
    w, h = look.w, look.h
    image = Image.fromarray(tinted_card_background(w, h, rng), "RGB")
    band_top = round(look.y(0.7))
    paper = tuple(int(c) for c in rng.integers(236, 252, 3))
    ImageDraw.Draw(image).rectangle((0, band_top, w, h), fill=paper)
    pen = Pen(image)
    number = pen.text(
        look.x(0.935), look.y(0.05), identity.id_number, px=look.px(0.05), face=look.value_face,
        weight=look.value_weight, fill=look.value_ink, anchor="r", squeeze=look.squeeze, max_width=0.22 * w,
    )  # fmt: skip
    side = round(0.2 * w)
    qr = qr_like(side, rng).convert("RGB")
    image.paste(qr, (round(number[2] - side), round(number[3] + 0.03 * h)))
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, 11))
    for i, text in enumerate((digits, f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")):
        pen.text(
            number[2], number[3] + 0.05 * h + side + i * 0.05 * h, text, px=look.px(0.035),
            face="arimo", fill=look.value_ink, anchor="r",
        )  # fmt: skip
    line_right = look.x(0.68)
    overseas = chance(rng, OVERSEAS_BACK_SHARE)
    if overseas:
        _english_addresses(pen, look, line_right)
    else:
        _urdu_addresses(pen, look, identity, line_right)
    pen.line([(look.x(0.25), look.y(0.34)), (line_right, look.y(0.34))], look.rule_ink, 0.002 * h)
    mini = ImageOps.grayscale(portrait(round(0.07 * w), round(0.14 * h), rng, female=identity.gender == "F"))
    image.paste(
        mini.convert("RGB"), (round(look.x(0.08)), round(look.y(0.18))), Image.new("L", mini.size, 150)
    )
    sig = signature(round(0.22 * w), round(0.08 * h), rng, (30, 35, 60))
    image.paste(sig, (round(look.x(0.06)), round(look.y(0.55))), sig)
    pen.text(
        look.x(0.07), look.y(0.64), "Registrar General of Pakistan", px=look.px(0.028), face="arimo",
        fill=look.value_ink,
    )  # fmt: skip
    if overseas:
        for index, line in enumerate(_machine_readable_zone(identity, rng)):
            pen.text(
                look.x(0.06), look.y(0.74 + index * 0.085), line, px=look.px(0.06), face="dejavu-mono",
                fill=look.value_ink, max_width=0.88 * w,
            )  # fmt: skip
    else:
        pen.text(
            w / 2, look.y(0.8), LOST_CARD_URDU, px=look.px(0.085), face="noto-arabic", weight=600,
            fill=look.value_ink, anchor="m", max_width=0.85 * w,
        )  # fmt: skip
    return CardImage(round_corners(image, rng))


def _urdu_addresses(pen: Pen, look: Look, identity: Identity, right: float) -> None:
    for top, title, address in (
        (0.05, "موجودہ پتہ:", identity.present_address_urdu),
        (0.38, "مستقل پتہ:", identity.permanent_address_urdu),
    ):
        words = f"{title} {address}".split()
        half = (len(words) + 1) // 2
        for i, line in enumerate((" ".join(words[:half]), " ".join(words[half:]))):
            pen.text(
                right, look.y(top + i * 0.1), line, px=look.px(0.05), face="noto-arabic", fill=look.value_ink,
                anchor="r", max_width=0.45 * look.w,
            )  # fmt: skip


def _english_addresses(pen: Pen, look: Look, right: float) -> None:
    """The overseas card's back prints its addresses in English, left-aligned."""
    rng, left = look.rng, look.x(0.25)
    for top, title in ((0.05, "Present Address:"), (0.38, "Permanent Address:")):
        pen.text(left, look.y(top), title, px=look.px(0.035), face="arimo", weight=600, fill=look.label_ink)
        house, street = int(rng.integers(1, 900)), int(rng.integers(1, 40))
        lines = (f"House No {house}, Street {street},", f"{pick(rng, LOCALITIES)}, {pick(rng, CITIES)}")
        for i, line in enumerate(lines):
            pen.text(
                left, look.y(top + 0.07 + i * 0.08), line, px=look.px(0.045), face=look.value_face,
                fill=look.value_ink, max_width=right - left,
            )  # fmt: skip


def _machine_readable_zone(identity: Identity, rng: np.random.Generator) -> tuple[str, str, str]:
    """Three 30-character lines in the ID-card (TD1) format, with 7-3-1 check digits."""
    document = f"{int(rng.integers(0, 10**9)):09d}"
    digits = identity.id_number.replace("-", "")
    line1 = f"I<PAK{document}{_check(document)}{digits}".ljust(30, "<")
    birth = f"{identity.birth:%y%m%d}"
    expiry = "<<<<<<" if identity.expiry is None else f"{identity.expiry:%y%m%d}"
    sex = identity.gender if identity.gender in ("M", "F") else "<"
    line2 = f"{birth}{_check(birth)}{sex}{expiry}{_check(expiry)}PAK".ljust(29, "<")
    line2 += _check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    words = identity.name.upper().split()
    line3 = f"{words[-1]}<<{'<'.join(words[:-1])}".ljust(30, "<")[:30]
    return line1, line2, line3


def _check(field: str) -> str:
    values = [int(c) if c.isdigit() else 0 if c == "<" else ord(c) - 55 for c in field]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)
