"""The overseas Pakistani's smart card (NICOP) front: family ``nicop``, the held-out drawing.

The National Identity Card for Overseas Pakistanis prints the CNIC's eight fields in a design of
its own. This drawing was made from ``docs/cnic-facts.md``, ``docs/synth.md`` and a look at
real smart cards' appearance only, by someone who had not read the recognizer, and shares no
layout constant with the other families: cool blue, teal or lavender paper with a moiré of
concentric arcs, a braided ribbon of wavy strands and a faint globe; a title block (one line,
two lines or the "NICOP" acronym, on the paper or on a dark band) with the crest over the chip
strip; the chip, a ghost portrait and edge microtext in a narrow strip on one side; the
greyscale portrait with an iridescent seal on the other side (left or right per card); the
fields between them, names with their Urdu spelling beside the label or under the value, then
a ruled grid in one of three arrangements. Every position, size, face and ink is drawn per card.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageOps

from cnic_ocr.synth.background import draw_star
from cnic_ocr.synth.card import CardImage, card_height, round_corners
from cnic_ocr.synth.faces import Face, typeface
from cnic_ocr.synth.identities import Identity, printed_date, varied_identity
from cnic_ocr.synth.pen import RGB, Box, Pen, crest, shade, thumbprint
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, pick, pick_weighted, stream, uniform

#: Where overseas holders live, with made-up shares (Gulf and Britain first); Pakistan for a
#: holder who has come back. Guesses, not NADRA figures.
NICOP_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("Saudi Arabia", 0.2), ("United Arab Emirates", 0.2), ("United Kingdom", 0.13),
    ("United States", 0.07), ("Canada", 0.04), ("Qatar", 0.04), ("Oman", 0.04), ("Kuwait", 0.03),
    ("Bahrain", 0.02), ("Italy", 0.03), ("Germany", 0.02), ("Spain", 0.02), ("Norway", 0.01),
    ("France", 0.01), ("Greece", 0.01), ("Australia", 0.02), ("Malaysia", 0.01),
    ("China, Mainland", 0.01), ("South Africa", 0.01), ("Pakistan", 0.04),
)  # fmt: skip

#: Paper and pattern inks of a print run: pale blue, teal, lavender and grey-blue stock.
PAPERS: tuple[tuple[RGB, RGB], ...] = (
    ((224, 234, 246), (120, 150, 200)),
    ((220, 239, 239), (95, 160, 170)),
    ((232, 231, 246), (145, 135, 200)),
    ((228, 236, 242), (115, 140, 165)),
)
HEADER_INKS: tuple[RGB, ...] = ((22, 52, 104), (12, 78, 96), (44, 44, 112), (30, 60, 80))
VALUE_FACES: tuple[tuple[Face, float], ...] = (
    ("roboto-condensed", 0.35), ("pt-sans-narrow", 0.25), ("arimo", 0.25), ("dejavu-sans", 0.15),
)  # fmt: skip
LABEL_FACES: tuple[Face, ...] = ("arimo", "dejavu-sans", "roboto-condensed", "pt-sans-narrow")
TITLE_FACES: tuple[Face, ...] = ("arimo", "roboto-condensed", "dejavu-sans", "dejavu-serif")

URDU_COUNTRY = "اسلامی جمہوریہ پاکستان"
URDU_TITLE = "سمندر پار پاکستانیوں کا قومی شناختی کارڈ"

#: The grid under the names: rows of (field, share of the column's width).
GRIDS: dict[str, tuple[tuple[tuple[str, float], ...], ...]] = {
    "pairs": (
        (("gender", 0.3), ("country", 0.7)),
        (("idNumber", 0.52), ("birthDay", 0.48)),
        (("issueDay", 0.5), ("expiryDay", 0.5)),
    ),
    "number-first": (  # the number is printed above the name
        (("gender", 0.3), ("country", 0.7)),
        (("birthDay", 0.34), ("issueDay", 0.33), ("expiryDay", 0.33)),
    ),
    "mixed": (
        (("idNumber", 0.57), ("gender", 0.43)),
        (("country", 0.57), ("birthDay", 0.43)),
        (("issueDay", 0.5), ("expiryDay", 0.5)),
    ),
}
GRID_SHARES: tuple[tuple[str, float], ...] = (("pairs", 0.5), ("number-first", 0.3), ("mixed", 0.2))


def nicop_identity(seed: int) -> Identity:
    """``varied_identity(seed)`` living abroad: its country of stay drawn from a stream of its own."""
    identity = varied_identity(seed)
    country = pick_weighted(stream(seed, "nicop-country"), NICOP_COUNTRIES)
    return dataclasses.replace(identity, country=country)


@dataclass
class Look:
    """One print run: geometry in pixels, faces, sizes and inks."""

    rng: np.random.Generator
    w: int
    h: int
    scale: float
    portrait_right: bool
    edge: float
    strip: tuple[float, float]
    column: tuple[float, float]
    photo_x: float
    photo_w: float
    header_bottom: float
    band: bool
    title_style: str
    paper: RGB
    pattern_ink: RGB
    header_ink: RGB
    title_ink: RGB
    label_ink: RGB
    value_ink: RGB
    urdu_ink: RGB
    rule_ink: RGB
    value_face: Face
    value_weight: int
    squeeze: float
    label_face: Face
    label_squeeze: float
    title_face: Face
    value_px: float
    label_px: float
    urdu_px: float

    def jx(self) -> float:
        return uniform(self.rng, -0.0045, 0.0045) * self.w

    def jy(self) -> float:
        return uniform(self.rng, -0.005, 0.005) * self.h

    def size(self) -> float:
        return uniform(self.rng, 0.97, 1.03)


def draw_look(rng: np.random.Generator, width: int) -> Look:
    """A print run: the portrait's side, the strip, the column, faces and inks per card."""
    w, h = width, card_height(width)
    dx, dy = uniform(rng, -0.017, 0.017) * w, uniform(rng, -0.02, 0.02) * h
    scale = uniform(rng, 0.93, 1.07)
    portrait_right = chance(rng, 0.55)
    edge = uniform(rng, 0.034, 0.045) * w
    photo_w = uniform(rng, 0.232, 0.262) * w
    strip_w = uniform(rng, 0.128, 0.148) * w
    gap = uniform(rng, 0.016, 0.026) * w
    if portrait_right:
        strip = (edge + dx, edge + strip_w + dx)
        photo_x = w - edge - photo_w + dx
        column = (strip[1] + gap, photo_x - gap)
    else:
        photo_x = edge + dx
        strip = (w - edge - strip_w + dx, w - edge + dx)
        column = (photo_x + photo_w + gap, strip[0] - gap)
    paper, pattern = pick(rng, PAPERS)
    header = shade(rng, pick(rng, HEADER_INKS), 12)
    band = chance(rng, 0.35)
    face = pick_weighted(rng, VALUE_FACES)
    narrow = {"roboto-condensed": (0.94, 1.02), "pt-sans-narrow": (0.99, 1.07)}.get(face, (0.81, 0.9))
    value_px = uniform(rng, 0.046, 0.052) * h * scale
    dark = int(rng.integers(14, 40))
    value_ink = (dark, dark + int(rng.integers(0, 10)), dark + int(rng.integers(5, 35)))
    return Look(
        rng=rng,
        w=w,
        h=h,
        scale=scale,
        portrait_right=portrait_right,
        edge=edge,
        strip=strip,
        column=column,
        photo_x=photo_x,
        photo_w=photo_w,
        header_bottom=uniform(rng, 0.19, 0.225) * h * scale**0.5 + dy,
        band=band,
        title_style=pick(rng, ("one-line", "two-lines", "acronym")),
        paper=shade(rng, paper, 5),
        pattern_ink=shade(rng, pattern, 15),
        header_ink=header,
        title_ink=shade(rng, (244, 246, 250), 6) if band else header,
        label_ink=shade(rng, (64, 80, 104), 18),
        value_ink=value_ink,
        urdu_ink=shade(rng, value_ink, 12),
        rule_ink=shade(rng, (118, 140, 170), 20),
        value_face=face,
        value_weight=int(rng.integers(440, 630)),
        squeeze=uniform(rng, *narrow),
        label_face=pick(rng, LABEL_FACES),
        label_squeeze=uniform(rng, 0.9, 1.0),
        title_face=pick(rng, TITLE_FACES),
        value_px=value_px,
        label_px=value_px * uniform(rng, 0.59, 0.68),
        urdu_px=value_px * uniform(rng, 0.82, 0.95),
    )


def render_nicop_front(identity: Identity, look_seed: int, width: int) -> CardImage:
    """The front of ``identity``'s NICOP; ``look_seed`` decides the print run and the portrait."""
    rng = stream(look_seed, "nicop-front-look")
    look = draw_look(rng, width)
    image = _paper(look)
    pen = Pen(image)
    female = identity.gender == "F" or (identity.gender == "X" and chance(rng, 0.5))
    photo = portrait(round(look.photo_w), round(look.photo_w * uniform(rng, 1.18, 1.26)), rng, female=female)
    grey = ImageOps.autocontrast(ImageOps.grayscale(photo), cutoff=1)
    _header(pen, look)
    _strip(pen, look, grey, identity)
    _portrait_side(pen, look, grey)
    boxes = _fields(pen, look, identity)
    return CardImage(round_corners(image, rng), boxes)


def _paper(look: Look) -> Image.Image:
    """Cool paper, a diagonal colour drift, a moiré of arcs, a braided ribbon and a faint globe."""
    rng, w, h = look.rng, look.w, look.h
    unit = w / 1000
    # the arcs are computed at half size (cheaper) and enlarged: faint lines, softened anyway
    half_w, half_h = (w + 1) // 2, (h + 1) // 2
    ys = np.arange(half_h, dtype=np.float32)[:, None] * np.float32(2)
    xs = np.arange(half_w, dtype=np.float32)[None, :] * np.float32(2)
    arcs = np.zeros((half_h, half_w), np.float32)
    for _ in range(2):  # two families of concentric arcs centred off the card: a moiré
        cx = uniform(rng, -0.4, 1.4) * w
        cy = pick(rng, (-0.5, 1.5)) * h + uniform(rng, -0.2, 0.2) * h
        across = np.ascontiguousarray(np.broadcast_to(xs - np.float32(cx), (half_h, half_w)))
        down = np.ascontiguousarray(np.broadcast_to(ys - np.float32(cy), (half_h, half_w)))
        radius, angle = cv2.magnitude(across, down), cv2.phase(across, down)
        lobes = np.float32(int(rng.integers(30, 90)))
        wobble = np.float32(uniform(rng, 1.5, 4.0) * unit) * np.sin(angle * lobes)
        phase = (radius + wobble) * np.float32(1 / (uniform(rng, 5.5, 8.0) * unit))
        distance = np.abs(phase - np.round(phase))
        lines = np.clip(np.float32(1) - distance * np.float32(1 / 0.2), 0, 1)
        arcs = np.maximum(arcs, lines * lines * np.float32(uniform(rng, 0.35, 0.6)))
    density = cv2.resize(arcs, (w, h), interpolation=cv2.INTER_LINEAR)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    centre = uniform(rng, 0.55, 0.8) * h
    amplitude, wavelength = uniform(rng, 0.05, 0.09) * h, uniform(rng, 0.45, 0.8) * w
    start = uniform(rng, 0, 2 * math.pi)
    steps = np.linspace(0, w, 160)
    for strand in range(int(rng.integers(14, 22))):  # a braided ribbon across the lower half
        shift = strand * uniform(rng, 0.16, 0.2)
        points = [
            (float(x), float(centre + amplitude * math.sin(2 * math.pi * x / wavelength + start + shift)
                             + 0.4 * amplitude * math.sin(4 * math.pi * x / wavelength - shift)))
            for x in steps
        ]  # fmt: skip
        draw.line(points, fill=150, width=max(1, round(unit)))
    gx, gy, gr = uniform(rng, 0.35, 0.6) * w, uniform(rng, 0.45, 0.65) * h, uniform(rng, 0.26, 0.33) * h
    line = max(1, round(1.6 * unit))
    draw.ellipse((gx - gr, gy - gr, gx + gr, gy + gr), outline=110, width=line)
    for k in (0.35, 0.7):  # meridians
        draw.ellipse((gx - gr * k, gy - gr, gx + gr * k, gy + gr), outline=90, width=line)
    draw.line([(gx, gy - gr), (gx, gy + gr)], fill=90, width=line)
    for k in (-0.6, -0.3, 0.0, 0.3, 0.6):  # parallels
        half = gr * math.sqrt(1 - k * k)
        draw.line([(gx - half, gy + k * gr), (gx + half, gy + k * gr)], fill=90, width=line)
    draw_star(draw, (gx + gr * 0.9, gy - gr * 0.85), gr * 0.16, outline=110, width=line)
    density = np.maximum(density, np.asarray(mask, np.float32) * np.float32(1 / 255))
    drift = (uniform(rng, -6, 12), uniform(rng, -10, 3), uniform(rng, -8, 6))
    ramp = np.arange(w, dtype=np.float32)[None, :] * np.float32(0.5 / w) + np.arange(h, dtype=np.float32)[
        :, None
    ] * np.float32(0.5 / h)
    strength = density * np.float32(uniform(rng, 0.38, 0.55))
    keep = np.float32(1) - strength
    channels = []
    for paper, shift, ink in zip(look.paper, drift, look.pattern_ink, strict=True):
        base = np.float32(paper) + np.float32(shift) * ramp  # a diagonal colour drift
        mixed = base * keep + strength * np.float32(ink)
        channels.append(np.clip(mixed, 0, 255).astype(np.uint8))
    return Image.fromarray(np.dstack(channels), "RGB")


def _header(pen: Pen, look: Look) -> None:
    """The crest over the strip, the titles across the rest, a rule of microtext under them."""
    rng, w, h = look.rng, look.w, look.h
    bottom = look.header_bottom
    if look.band:
        top_colour = np.array(look.header_ink, np.float32)
        end_colour = top_colour + uniform(rng, 15, 40)
        rows = np.linspace(0, 1, max(1, round(bottom)), dtype=np.float32)[:, None, None]
        band = top_colour * (1 - rows) + end_colour * rows
        pixels = np.clip(np.repeat(band, w, axis=1), 0, 255).astype(np.uint8)
        pen.image.paste(Image.fromarray(pixels, "RGB"), (0, 0))
    size = min(bottom * uniform(rng, 0.78, 0.88), (look.strip[1] - look.strip[0]) * 0.95)
    middle = (look.strip[0] + look.strip[1]) / 2 + look.jx()
    top = (bottom - size) / 2 + look.jy()
    crest_ink = shade(rng, (236, 240, 246), 6) if look.band else shade(rng, look.header_ink, 10)
    crest(pen.image, (middle - size * 0.5, top, middle + size * 0.5, top + size), crest_ink, rng)

    gap = uniform(rng, 0.018, 0.03) * w
    left = look.strip[1] + gap if look.portrait_right else look.edge + look.jx()
    right = w - look.edge + look.jx() if look.portrait_right else look.strip[0] - gap
    span = right - left
    ink, face = look.title_ink, look.title_face
    lead = h * uniform(rng, 0.035, 0.05) + look.jy()
    small = h * uniform(rng, 0.036, 0.042) * look.scale
    first = pen.text(left, lead, "ISLAMIC REPUBLIC OF PAKISTAN", px=small, face=face, weight=700, fill=ink,
                     max_width=span * 0.6)  # fmt: skip
    pen.text(right, lead - small * 0.15, URDU_COUNTRY, px=small * uniform(rng, 1.0, 1.15), face="noto-arabic",
             fill=ink, anchor="r", max_width=span * 0.32)  # fmt: skip
    y = first[3] + h * uniform(rng, 0.02, 0.03)
    room = bottom - h * uniform(rng, 0.014, 0.022) - y  # the titles stay inside the header
    big = min(
        h * uniform(rng, 0.048, 0.056) * look.scale, room / (1.62 if look.title_style == "two-lines" else 1.0)
    )
    if look.title_style == "acronym":
        mark = pen.text(left, y - big * 0.2, "NICOP", px=big * 1.6, face=face, weight=800, fill=ink)
        words = pick(rng, ("National Identity Card for Overseas Pakistanis",
                           "National Identity Card for Overseas Pakistani"))  # fmt: skip
        pen.text(mark[2] + gap * 0.8, mark[3] - big * 0.8, words, px=big * 0.7, face=face, fill=ink,
                 max_width=right - mark[2] - gap * 0.8)  # fmt: skip
    elif look.title_style == "two-lines":
        line = pen.text(left, y - big * 0.15, "National Identity Card", px=big, face=face, weight=650,
                        fill=ink, max_width=span * 0.62)  # fmt: skip
        pen.text(left, line[3] + big * 0.2, "for Overseas Pakistanis", px=big * 0.78, face=face, fill=ink,
                 max_width=span * 0.62)  # fmt: skip
        pen.text(right, line[1], URDU_TITLE, px=big * 0.72, face="noto-arabic", fill=ink, anchor="r",
                 max_width=span * 0.36)  # fmt: skip
    else:
        pen.text(left, y, "National Identity Card for Overseas Pakistanis", px=big * 0.9, face=face,
                 weight=620, fill=ink, max_width=span)  # fmt: skip
    rule_y = bottom + h * uniform(rng, 0.004, 0.01)
    _microtext_rule(pen, look, left if look.portrait_right else look.edge, right, rule_y)


def _microtext_rule(pen: Pen, look: Look, left: float, right: float, y: float) -> None:
    """A rule that is tiny repeated text under a loupe, a thin line to the eye."""
    px = max(6.0, look.h * uniform(look.rng, 0.012, 0.016))
    unit = pick(look.rng, ("NICOP", "PAKISTAN", "NADRA")) + " "
    length = typeface("dejavu-sans", round(px), 400).getlength(unit) * 0.9
    text = unit * max(1, int((right - left) / max(1.0, length)))
    pen.text(left, y, text.strip(), px=px, face="dejavu-sans", fill=look.rule_ink, squeeze=0.9,
             max_width=right - left, opacity=0.8)  # fmt: skip


def _strip(pen: Pen, look: Look, photo: Image.Image, identity: Identity) -> None:
    """Chip, a minor's note, the ghost portrait with a serial over it, microtext along the edge."""
    rng, w, h = look.rng, look.w, look.h
    s0, s1 = look.strip
    chip_w = (s1 - s0) * uniform(rng, 0.72, 0.84)
    chip_h = chip_w * uniform(rng, 0.78, 0.86)
    cx = (s0 + s1) / 2 + look.jx()
    chip_top = look.header_bottom + h * uniform(rng, 0.1, 0.14)
    _chip(pen.image, (cx - chip_w / 2, chip_top, cx + chip_w / 2, chip_top + chip_h), rng)
    small = look.label_px * uniform(rng, 0.9, 1.0)
    if identity.minor_until is not None:
        note_y = chip_top + chip_h + h * 0.03
        line = pen.text(cx, note_y, "Under 18 until", px=small, face=look.label_face, fill=look.label_ink,
                        anchor="m", max_width=s1 - s0)  # fmt: skip
        pen.text(cx, line[3] + small * 0.35, printed_date(identity.minor_until), px=small * 1.1,
                 face=look.label_face, fill=look.label_ink, anchor="m", max_width=s1 - s0)  # fmt: skip
    ghost_w = round((s1 - s0) * uniform(rng, 0.74, 0.86))
    ghost = photo.resize((ghost_w, round(ghost_w * photo.height / photo.width)), Image.Resampling.BILINEAR)
    ghost_top = h * uniform(rng, 0.93, 0.95) - ghost.height + look.jy()
    ghost_left = cx - ghost_w / 2
    tinted = ImageOps.colorize(ghost, black=look.header_ink, white=look.paper).convert("RGB")
    alpha = Image.new("L", ghost.size, round(255 * uniform(rng, 0.22, 0.34)))
    pen.image.paste(tinted, (round(ghost_left), round(ghost_top)), alpha)
    serial = f"{int(rng.integers(0, 1_000_000)):06d}"
    pen.text(cx, ghost_top + ghost.height * uniform(rng, 0.42, 0.55), serial, px=look.label_px * 1.15,
             face="dejavu-sans", fill=look.label_ink, anchor="m", opacity=0.55)  # fmt: skip
    px = max(6.0, h * uniform(rng, 0.013, 0.016))
    x = look.edge * uniform(rng, 0.25, 0.45) if look.portrait_right else w - look.edge * 0.6
    unit = pick(rng, ("NICOP", "PAKISTAN", "OVERSEAS PAKISTANI"))
    pen.text(x, h * 0.95, " ".join([unit] * 30), px=px, face="dejavu-sans", fill=look.rule_ink,
             max_width=h * 0.88, opacity=0.75, turn=90)  # fmt: skip


def _chip(image: Image.Image, box: Box, rng: np.random.Generator) -> None:
    """A contact plate: a metallic gradient, eight pads around a central one, a dark outline."""
    x0, y0, x1, y1 = (round(v) for v in box)
    cw, ch = x1 - x0, y1 - y0
    gold = chance(rng, 0.75)
    light = np.array(shade(rng, (232, 204, 132) if gold else (214, 218, 224), 10), np.float32)
    dark = light * uniform(rng, 0.72, 0.82)
    angle = uniform(rng, 0, math.pi)
    ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
    t = np.clip(((xs / cw - 0.5) * math.cos(angle) + (ys / ch - 0.5) * math.sin(angle)) + 0.5, 0, 1)
    metal = light * (1 - t[:, :, None]) + dark * t[:, :, None]
    plate = Image.fromarray(np.clip(metal, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(plate)
    line = tuple(int(c) for c in dark * 0.6)
    width = max(1, round(cw / 45))
    draw.rounded_rectangle((0, 0, cw - 1, ch - 1), radius=cw * 0.14, outline=line, width=width)
    inner = (cw * 0.32, ch * 0.28, cw * 0.68, ch * 0.72)
    draw.rounded_rectangle(inner, radius=cw * 0.05, outline=line, width=width)
    for fraction in (0.36, 0.64):
        draw.line([(0, ch * fraction), (inner[0], ch * fraction)], fill=line, width=width)
        draw.line([(inner[2], ch * fraction), (cw, ch * fraction)], fill=line, width=width)
    draw.line([(cw * 0.5, 0), (cw * 0.5, inner[1])], fill=line, width=width)
    draw.line([(cw * 0.5, inner[3]), (cw * 0.5, ch)], fill=line, width=width)
    mask = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, cw - 1, ch - 1), radius=cw * 0.14, fill=255)
    image.paste(plate, (x0, y0), mask)


def _portrait_side(pen: Pen, look: Look, photo: Image.Image) -> None:
    """The greyscale portrait, an iridescent seal on its outer corner, the signature and its caption."""
    rng, h = look.rng, look.h
    top = look.header_bottom + h * uniform(rng, 0.035, 0.055) + look.jy()
    left = look.photo_x + look.jx()
    toned = ImageOps.colorize(photo, black=(18, 20, 26), white=shade(rng, (246, 248, 250), 5)).convert("RGB")
    pen.image.paste(toned, (round(left), round(top)))
    if chance(rng, 0.6):
        frame = (left - 1, top - 1, left + photo.width, top + photo.height)
        ImageDraw.Draw(pen.image).rectangle(frame, outline=look.rule_ink, width=1)
    seal = round(photo.width * uniform(rng, 0.34, 0.42))
    seal_x = left + photo.width - seal * 0.7 if look.portrait_right else left - seal * 0.3
    seal_x = min(max(seal_x, look.w * 0.006), look.w * 0.994 - seal)
    seal_y = top + photo.height - seal * uniform(rng, 0.6, 0.8)
    _hologram(pen.image, (round(seal_x), round(seal_y)), seal, rng)
    bottom = top + photo.height
    caption_px = look.label_px * uniform(rng, 0.95, 1.05)
    caption_y = h * uniform(rng, 0.905, 0.93) + look.jy()
    rule_y = caption_y - caption_px * 0.45
    mark_h = round(max(8.0, rule_y - bottom - h * 0.015))
    ink = shade(rng, pick(rng, ((20, 30, 90), (25, 25, 30), (15, 50, 110))), 12)
    if chance(rng, 0.2):  # a thumb impression instead of a signature
        mark_w = round(mark_h * uniform(rng, 0.7, 0.85))
        mark = thumbprint(mark_w, mark_h, rng, shade(rng, (55, 58, 70), 10))
    else:
        mark_w = round(photo.width * uniform(rng, 0.8, 0.95))
        mark = signature(mark_w, mark_h, rng, ink)
    middle = left + photo.width / 2
    pen.image.paste(mark, (round(middle - mark_w / 2), round(bottom + h * 0.008)), mark)
    pen.line([(left + photo.width * 0.04, rule_y), (left + photo.width * 0.96, rule_y)], look.rule_ink,
             max(1.0, look.w / 900))  # fmt: skip
    caption = pick(rng, ("Holder's Signature", "Holder`s Signature", "Signature of Holder"))
    pen.text(middle, caption_y, caption, px=caption_px, face=look.label_face, fill=look.label_ink,
             anchor="m", max_width=photo.width)  # fmt: skip


def _hologram(image: Image.Image, corner: tuple[int, int], side: int, rng: np.random.Generator) -> None:
    """A round iridescent seal: hue turning with the angle and the radius, fine rings, a crescent."""
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    c = (side - 1) / 2
    dx, dy = (xs - c) / c, (ys - c) / c
    radius = np.hypot(dx, dy)
    hue = (np.arctan2(dy, dx) / (2 * math.pi) + radius * uniform(rng, 0.4, 0.9) + uniform(rng, 0, 1)) % 1.0
    hsv = np.stack([hue * 179, np.full_like(hue, uniform(rng, 70, 120)), np.full_like(hue, 235)], axis=-1)
    rgb = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    rings = 0.65 + 0.35 * np.cos(radius * uniform(rng, 40, 70))
    edge = np.clip((1.0 - radius) * side * 0.25, 0, 1)
    alpha = np.clip(edge * rings * uniform(rng, 90, 130), 0, 255).astype(np.uint8)
    layer = Image.fromarray(rgb, "RGB")
    mark = ImageDraw.Draw(layer)
    r = side * 0.2
    mark.ellipse((c - r, c - r, c + r, c + r), outline=(250, 250, 250), width=max(1, side // 40))
    draw_star(mark, (c + r * 0.35, c - r * 0.2), r * 0.35, fill=(250, 250, 250))
    image.paste(layer, corner, Image.fromarray(alpha, "L"))


def _labels(identity: Identity, rng: np.random.Generator) -> dict[str, str]:
    return {
        "name": "Name",
        "fatherName": identity.father_label,
        "gender": "Gender",
        "country": "Country of Stay",
        "idNumber": "Identity Number" if chance(rng, 0.88) else "Identity No.",
        "birthDay": "Date of Birth",
        "issueDay": "Date of Issue",
        "expiryDay": "Date of Expiry",
    }


def _values(identity: Identity) -> dict[str, str]:
    return {
        "name": identity.name,
        "fatherName": identity.father_name,
        "gender": identity.gender,
        "country": identity.country,
        "idNumber": identity.id_number,
        "birthDay": identity.printed_birth,
        "issueDay": printed_date(identity.issue),
        "expiryDay": identity.printed_expiry,
    }


def _fields(pen: Pen, look: Look, identity: Identity) -> dict[str, Box]:
    """Names with their Urdu spelling, then the ruled grid; the sizes shrink if the column is short."""
    rng, h = look.rng, look.h
    grid = pick_weighted(rng, GRID_SHARES)
    rows = GRIDS[grid]
    urdu_beside = chance(rng, 0.4)
    vertical_rules = chance(rng, 0.6)
    labels, values = _labels(identity, rng), _values(identity)
    top = look.header_bottom + h * uniform(rng, 0.04, 0.055)
    bottom = h * uniform(rng, 0.94, 0.955)
    value_px, label_px, urdu_px = look.value_px, look.label_px, look.urdu_px
    # natural heights: a labelled value, a name (one more line unless the Urdu sits by the label)
    cell = label_px * 1.25 + value_px * 1.05
    name = cell + (0 if urdu_beside else urdu_px * 1.15) + value_px * 0.25
    singles = 3 if grid == "number-first" else 2
    natural = singles * name + len(rows) * cell
    slack = bottom - top - natural
    spacing = min(value_px * 0.55, slack / (singles + len(rows)))
    if spacing < value_px * 0.18:  # too tall for the card: shrink every size a little
        factor = (bottom - top) / (natural + (singles + len(rows)) * value_px * 0.18)
        value_px, label_px, urdu_px = value_px * factor, label_px * factor, urdu_px * factor
        cell, name = cell * factor, name * factor
        spacing = value_px * 0.18
    left, right = look.column
    boxes: dict[str, Box] = {}
    y = top

    def labelled(key: str, x: float, y: float, limit: float) -> float:
        pen.text(x + look.jx() * 0.3, y + look.jy() * 0.3, labels[key], px=label_px * look.size(),
                 face=look.label_face, fill=look.label_ink, squeeze=look.label_squeeze,
                 max_width=limit)  # fmt: skip
        value_y = y + label_px * 1.25
        boxes[key] = pen.text(x + look.jx() * 0.4, value_y + look.jy() * 0.3, values[key],
                              px=value_px * look.size(), face=look.value_face, weight=look.value_weight,
                              fill=look.value_ink, squeeze=look.squeeze, max_width=limit)  # fmt: skip
        return value_y + value_px * 1.05

    def rule(y: float, x0: float = left, x1: float = right) -> None:
        pen.line([(x0, y), (x1, y)], look.rule_ink, max(1.0, look.w / 900))

    if grid == "number-first":
        y = labelled("idNumber", left, y, (right - left) * 0.7) + value_px * 0.25
        rule(y)
        y += spacing
    for key, urdu in (("name", identity.name_urdu), ("fatherName", identity.father_name_urdu)):
        label_top = y
        if urdu_beside:
            y = labelled(key, left, y, right - left)
            # on the label's line, its ink ending just above the value's
            size = max(6, round(urdu_px * 0.85 * look.size()))
            ink_top, ink_bottom = typeface("noto-arabic", size).getbbox(urdu, anchor="ls")[1::2]
            urdu_top = label_top + label_px * 1.25 - value_px * 0.1 - (ink_bottom - ink_top + 2)
            pen.text(right, urdu_top, urdu, px=size, face="noto-arabic", fill=look.urdu_ink, anchor="r",
                     max_width=(right - left) * 0.55)  # fmt: skip
        else:
            y = labelled(key, left, y, right - left)
            pen.text(
                right + look.jx() * 0.3,
                y + value_px * 0.05,
                urdu,
                px=urdu_px * look.size(),
                face="noto-arabic",
                fill=look.urdu_ink,
                anchor="r",
                max_width=(right - left) * 0.8,
            )
            y += urdu_px * 1.15
        y += value_px * 0.25
        rule(y)
        y += spacing
    pad = (right - left) * 0.02
    for row in rows:
        x = left
        row_top = y - spacing * 0.6
        for index, (key, share) in enumerate(row):
            width = (right - left) * share
            if index and vertical_rules:
                pen.line([(x, row_top), (x, row_top + cell + spacing * 0.5)], look.rule_ink,
                         max(1.0, look.w / 900))  # fmt: skip
            inset = pad if index else 0.0
            labelled(key, x + inset, y, width - inset - pad)
            x += width
        y += cell + spacing * 0.2
        if row is not rows[-1]:
            rule(y)
        y += spacing * 0.8
    return boxes
