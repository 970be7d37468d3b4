"""Text and marks for the realistic drawings: condensed, shrunk-to-fit, turned, semi-transparent text.

Text is rendered onto its own mask, squeezed horizontally (a printer's condensed setting) and
pasted with an opacity, so a face can be narrowed by a few per cent per card and Urdu, labels
and values share one code path. Every call returns the box the ink covers.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from cnic_ocr.synth.background import draw_star
from cnic_ocr.synth.faces import Face, typeface
from cnic_ocr.synth.randomness import uniform

Box = tuple[float, float, float, float]
RGB = tuple[int, int, int]


class Pen:
    """Draws on ``image`` in pixels."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        px: float,
        face: Face,
        fill: RGB,
        weight: int = 400,
        squeeze: float = 1.0,
        anchor: str = "l",
        max_width: float | None = None,
        opacity: float = 1.0,
        turn: int = 0,
    ) -> Box:
        """Draw ``text`` whose ink top is at ``y``; ``x`` is its left, right or middle per ``anchor``.

        ``squeeze`` narrows the glyphs; text wider than ``max_width`` is narrowed to fit (to 60 % at
        most), else shrunk first, as a card printer fits a long name. ``turn`` 90 turns it
        counter-clockwise: it then reads bottom to top and ``x``, ``y`` are its left and bottom.
        """
        size = max(6, round(px))
        mask = _mask(text, face, size, weight)
        while max_width is not None and mask.width * squeeze > max_width:
            needed = max_width / mask.width
            if needed >= 0.6 or size <= 6:
                squeeze = needed
                break
            size = max(6, math.floor(size * 0.95))
            mask = _mask(text, face, size, weight)
        width = mask.width * squeeze
        mask = mask.resize((max(1, round(width)), mask.height), Image.Resampling.LANCZOS)
        if opacity < 1.0:
            mask = mask.point(lambda v: round(v * opacity))
        if turn:
            mask = mask.transpose(Image.Transpose.ROTATE_90)
            left, top = round(x), round(y - mask.height)
        else:
            offset = {"l": 0.0, "r": mask.width, "m": mask.width / 2}[anchor]
            left, top = round(x - offset), round(y)
        self.image.paste(Image.new("RGB", mask.size, fill), (left, top), mask)
        return (float(left), float(top), float(left + mask.width), float(top + mask.height))

    def line(self, points: list[tuple[float, float]], fill: RGB, width: float) -> None:
        self.draw.line(points, fill=fill, width=max(1, round(width)))


def _mask(text: str, face: Face, size: int, weight: int) -> Image.Image:
    """The text's ink, tightly cropped, as an 8-bit mask."""
    loaded = typeface(face, size, weight)
    x0, y0, x1, y1 = (round(v) for v in loaded.getbbox(text, anchor="ls"))
    mask = Image.new("L", (max(1, x1 - x0 + 2), max(1, y1 - y0 + 2)), 0)
    ImageDraw.Draw(mask).text((1 - x0, 1 - y0), text, font=loaded, fill=255, anchor="ls")
    return mask


def crest(image: Image.Image, box: Box, ink: RGB, rng: np.random.Generator) -> None:
    """The state emblem, simplified: a wreath around a quartered shield under a crescent and star."""
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    line = max(1, round(w / 40))
    for side in (-1, 1):  # wreath: leaves along two arcs
        for k in range(9):
            a = math.radians(200 + k * 16) if side < 0 else math.radians(340 - k * 16)
            lx, ly = cx + math.cos(a) * w * 0.46, y0 + h * 0.58 - math.sin(a) * h * 0.38
            r = w * uniform(rng, 0.045, 0.06)
            draw.ellipse((lx - r, ly - r * 0.6, lx + r, ly + r * 0.6), fill=ink)
    shield = (cx - w * 0.26, y0 + h * 0.32, cx + w * 0.26, y0 + h * 0.8)
    draw.rounded_rectangle(shield, radius=w * 0.06, outline=ink, width=line)
    draw.line([(cx, shield[1]), (cx, shield[3])], fill=ink, width=line)
    draw.line([(shield[0], (shield[1] + shield[3]) / 2), (shield[2], (shield[1] + shield[3]) / 2)], fill=ink)
    r = w * 0.14
    cy = y0 + h * 0.16
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)
    draw.ellipse(
        (cx - r * 0.55, cy - r * 1.1, cx + r * 1.3, cy + r * 0.7), fill=image.getpixel((round(x0), round(y0)))
    )
    draw_star(draw, (cx + r * 0.45, cy - r * 0.15), r * 0.4, fill=ink)
    draw.rectangle((cx - w * 0.3, y0 + h * 0.86, cx + w * 0.3, y0 + h * 0.95), outline=ink, width=line)


def thumbprint(width: int, height: int, rng: np.random.Generator, ink: RGB) -> Image.Image:
    """An inked thumb impression on a transparent layer: broken, curved ridges in an oval."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width * uniform(rng, 0.4, 0.6), height * uniform(rng, 0.35, 0.55)
    rx, ry = width * uniform(rng, 0.3, 0.42), height * uniform(rng, 0.42, 0.5)
    dx, dy = (xs - cx) / rx, (ys - cy) / ry
    radius = np.hypot(dx, dy * uniform(rng, 0.8, 1.2))
    swirl = 0.15 * np.sin(np.arctan2(dy, dx) * 2 + uniform(rng, 0, 6))
    ridges = 0.5 + 0.5 * np.sin((radius + swirl) * uniform(rng, 30, 42))
    inside = np.clip((1.0 - np.hypot(dx, dy)) * 6, 0, 1)
    smudge = rng.uniform(0.5, 1.0, (8, 8)).astype(np.float32)
    blotch = (
        np.asarray(Image.fromarray((smudge * 255).astype(np.uint8)).resize((width, height)), np.float32) / 255
    )
    alpha = np.clip(ridges * inside * blotch * uniform(rng, 200, 255), 0, 255).astype(np.uint8)
    layer = Image.new("RGBA", (width, height), (*ink, 0))
    layer.putalpha(Image.fromarray(alpha, "L"))
    return layer


def qr_like(side: int, rng: np.random.Generator) -> Image.Image:
    """A QR-looking grey image: random modules with three finder squares (not decodable)."""
    modules = int(rng.integers(25, 34))
    cells = rng.random((modules, modules)) < 0.5
    for fy, fx in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        cells[fy : fy + 7, fx : fx + 7] = False
        cells[fy, fx : fx + 7] = cells[fy + 6, fx : fx + 7] = True
        cells[fy : fy + 7, fx] = cells[fy : fy + 7, fx + 6] = True
        cells[fy + 2 : fy + 5, fx + 2 : fx + 5] = True
    pixels = np.where(cells, 20, 250).astype(np.uint8)
    return Image.fromarray(pixels, "L").resize((side, side), Image.Resampling.NEAREST)


def shade(rng: np.random.Generator, colour: RGB, spread: int) -> RGB:
    """``colour`` with each channel moved by up to ``spread``: one print run's ink."""
    r, g, b = (int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in colour)
    return (r, g, b)
