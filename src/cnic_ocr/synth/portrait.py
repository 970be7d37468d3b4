"""Drawn, face-like portraits: the card's photo area without any real person in it."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from cnic_ocr.synth.randomness import chance, pick, uniform

SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (232, 190, 160), (214, 170, 135), (198, 150, 115), (176, 128, 95), (150, 104, 75), (128, 88, 64),
)  # fmt: skip
HAIR: tuple[tuple[int, int, int], ...] = (
    (20, 16, 14),
    (35, 26, 20),
    (60, 44, 32),
    (120, 120, 118),
    (210, 210, 205),
)
CLOTHES: tuple[tuple[int, int, int], ...] = (
    (240, 240, 236), (30, 34, 48), (70, 60, 50), (20, 70, 60), (110, 30, 40), (60, 80, 120), (150, 140, 120),
)  # fmt: skip
SCARVES: tuple[tuple[int, int, int], ...] = (
    (20, 20, 24), (235, 235, 230), (120, 30, 60), (40, 60, 110), (150, 110, 80), (80, 110, 70),
)  # fmt: skip


def portrait(width: int, height: int, rng: np.random.Generator, *, female: bool) -> Image.Image:
    """A frontal head-and-shoulders drawing on a light studio background."""
    top = np.array([uniform(rng, 225, 250), uniform(rng, 230, 252), uniform(rng, 235, 255)])
    bottom = top - uniform(rng, 10, 40)
    ramp = np.linspace(0, 1, height)[:, None, None]
    backdrop = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1)
    image = Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    w, h = width, height
    cx = w * uniform(rng, 0.46, 0.54)
    head_w, head_h = w * uniform(rng, 0.46, 0.54), h * uniform(rng, 0.45, 0.52)
    head_top = h * uniform(rng, 0.1, 0.14)
    skin = pick(rng, SKIN_TONES)
    hair = pick(rng, HAIR[:3]) if rng.random() < 0.85 else pick(rng, HAIR[3:])
    clothes = pick(rng, CLOTHES)
    scarf = female and chance(rng, 0.6)
    head_box = (cx - head_w / 2, head_top, cx + head_w / 2, head_top + head_h)

    if female and not scarf:  # long hair behind the shoulders
        draw.rounded_rectangle(
            (cx - head_w * 0.62, head_top + head_h * 0.1, cx + head_w * 0.62, h * 0.86),
            radius=int(head_w * 0.3),
            fill=hair,
        )
    draw.ellipse((cx - w * 0.6, h * 0.68, cx + w * 0.6, h * 1.4), fill=clothes)  # shoulders
    draw.rectangle((cx - head_w * 0.2, head_top + head_h * 0.8, cx + head_w * 0.2, h * 0.78), fill=skin)
    if scarf:
        colour = pick(rng, SCARVES)
        draw.ellipse(
            (cx - head_w * 0.72, head_top - head_h * 0.14, cx + head_w * 0.72, head_top + head_h * 1.3),
            fill=colour,
        )
        draw.polygon(
            [(cx - head_w * 0.7, head_top + head_h * 0.7), (cx + head_w * 0.7, head_top + head_h * 0.7),
             (cx + w * 0.42, h * 1.0), (cx - w * 0.42, h * 1.0)],
            fill=colour,
        )  # fmt: skip
    # ears, head
    draw.ellipse(
        (cx - head_w * 0.58, head_top + head_h * 0.38, cx - head_w * 0.38, head_top + head_h * 0.62),
        fill=skin,
    )
    draw.ellipse(
        (cx + head_w * 0.38, head_top + head_h * 0.38, cx + head_w * 0.58, head_top + head_h * 0.62),
        fill=skin,
    )
    draw.ellipse(head_box, fill=skin)
    if not scarf:
        bald = not female and chance(rng, 0.1)
        hair_box = (
            cx - head_w * 0.53,
            head_top - head_h * 0.08,
            cx + head_w * 0.53,
            head_top + head_h * 0.55,
        )
        if not bald:
            draw.chord(hair_box, 180, 360, fill=hair)
            draw.pieslice(hair_box, 160, 200, fill=hair)
            draw.pieslice(hair_box, 340, 380, fill=hair)
    if not female and chance(rng, 0.4):  # beard
        draw.chord(
            (cx - head_w * 0.5, head_top + head_h * 0.3, cx + head_w * 0.5, head_top + head_h * 1.08),
            10,
            170,
            fill=hair,
        )
        draw.ellipse(
            (cx - head_w * 0.22, head_top + head_h * 0.7, cx + head_w * 0.22, head_top + head_h * 0.82),
            fill=skin,
        )
    _face(draw, cx, head_top, head_w, head_h, rng, skin, hair)
    if chance(rng, 0.12):  # glasses
        eye_y = head_top + head_h * 0.47
        for side in (-1, 1):
            ex = cx + side * head_w * 0.2
            lens = (ex - head_w * 0.14, eye_y - head_h * 0.07, ex + head_w * 0.14, eye_y + head_h * 0.07)
            draw.ellipse(lens, outline=(30, 30, 30), width=max(1, int(w * 0.01)))
    if not female and chance(rng, 0.1):  # white cap
        draw.chord(
            (cx - head_w * 0.52, head_top - head_h * 0.12, cx + head_w * 0.52, head_top + head_h * 0.4),
            180,
            360,
            fill=(240, 240, 235),
        )
    return Image.fromarray(cv2.GaussianBlur(np.asarray(image), (0, 0), max(0.6, w / 300)), "RGB")


def _face(
    draw: ImageDraw.ImageDraw,
    cx: float,
    top: float,
    head_w: float,
    head_h: float,
    rng: np.random.Generator,
    skin: tuple[int, int, int],
    hair: tuple[int, int, int],
) -> None:
    eye_y = top + head_h * uniform(rng, 0.44, 0.5)
    spread = head_w * uniform(rng, 0.18, 0.22)
    eye_w, eye_h = head_w * 0.1, head_h * 0.035
    dark = tuple(max(0, c - 90) for c in skin)
    for side in (-1, 1):
        ex = cx + side * spread
        draw.ellipse((ex - eye_w, eye_y - eye_h, ex + eye_w, eye_y + eye_h), fill=(245, 245, 240))
        draw.ellipse(
            (ex - eye_h * 1.1, eye_y - eye_h * 1.1, ex + eye_h * 1.1, eye_y + eye_h * 1.1), fill=(40, 30, 25)
        )
        brow_y = eye_y - head_h * uniform(rng, 0.08, 0.11)
        draw.line(
            [
                (ex - eye_w * 1.1, brow_y + eye_h * 0.5),
                (ex, brow_y - eye_h * 0.3),
                (ex + eye_w * 1.1, brow_y + eye_h * 0.4),
            ],
            fill=hair if hair[0] < 100 else (60, 50, 40),
            width=max(1, int(head_h * 0.025)),
        )
    nose_y = top + head_h * uniform(rng, 0.64, 0.7)
    draw.line(
        [(cx, eye_y + eye_h * 2), (cx - head_w * 0.04, nose_y), (cx + head_w * 0.03, nose_y)],
        fill=dark,
        width=2,
    )
    mouth_y = top + head_h * uniform(rng, 0.78, 0.83)
    mouth_w = head_w * uniform(rng, 0.12, 0.18)
    lip = (min(255, skin[0] - 40), max(0, skin[1] - 70), max(0, skin[2] - 60))
    draw.arc(
        (cx - mouth_w, mouth_y - head_h * 0.04, cx + mouth_w, mouth_y + head_h * 0.03),
        10,
        170,
        fill=lip,
        width=max(2, int(head_h * 0.02)),
    )


def signature(width: int, height: int, rng: np.random.Generator, ink: tuple[int, int, int]) -> Image.Image:
    """A scribbled signature on a transparent layer."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    # a cursive-like trace: steady left-to-right motion plus loops from two oscillations
    t = np.linspace(0.0, 1.0, 120)
    phase = 2 * math.pi * (uniform(rng, 4, 10) * t + 0.25 * np.sin(2 * math.pi * uniform(rng, 1, 3) * t))
    size = 0.55 + 0.45 * np.abs(np.sin(2 * math.pi * uniform(rng, 0.5, 2.0) * t + uniform(rng, 0, 3)))
    xs = width * (0.06 + 0.86 * t + uniform(rng, 0.01, 0.035) * np.sin(phase))
    ys = height * (0.5 + 0.32 * size * np.cos(phase + uniform(rng, 0, 3)) + 0.1 * np.sin(3 * t))
    points = list(zip(xs.tolist(), ys.tolist(), strict=True))
    line_w = max(1, round(height * 0.06))
    draw.line(points, fill=(*ink, 255), width=line_w, joint="curve")
    if chance(rng, 0.6):
        y = height * uniform(rng, 0.65, 0.85)
        draw.line(
            [(width * 0.1, y), (width * uniform(rng, 0.5, 0.9), y - height * 0.1)],
            fill=(*ink, 255),
            width=line_w,
        )
    return layer
