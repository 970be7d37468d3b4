"""Cached, seeded textures: the card's guilloche, table/cloth scenes and sensor noise.

The expensive patterns are computed once per process from fixed seeds (so they are the same in
every process) and then varied per sample cheaply: tinted, cropped, flipped, offset.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from cnic_ocr.synth.randomness import chance, pick, stream, uniform

FloatImage = npt.NDArray[np.float32]
ByteImage = npt.NDArray[np.uint8]

GUILLOCHE_VARIANTS = 4
#: The size the guilloche is computed at (that of the default card render).
GUILLOCHE_SIZE = (1000, 631)
SCENE_TEXTURE_SIZE = (400, 300)
NOISE_TILE = 512
#: Noise tile values are N(0, 1) scaled by this, stored around 128 as uint8.
NOISE_TILE_SCALE = 16


@lru_cache(maxsize=16)
def guilloche(width: int, height: int, variant: int) -> FloatImage:
    """Ink density in [0, 1] at any size: the canonical pattern, resized (and cached)."""
    pattern = _guilloche_pattern(variant)
    if pattern.shape == (height, width):
        return pattern
    resized = cv2.resize(pattern, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(resized, dtype=np.float32)


@cache
def _guilloche_pattern(variant: int) -> FloatImage:
    """Families of fine wavy lines, rosettes and a faint emblem watermark, at the canonical width."""
    width, height = GUILLOCHE_SIZE
    rng = stream(variant, "guilloche")
    scale = width / 1000
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    density = np.zeros((height, width), np.float32)
    for _ in range(3):
        angle = uniform(rng, -0.5, 0.5)
        across = ys * math.cos(angle) - xs * math.sin(angle)
        along = xs * math.cos(angle) + ys * math.sin(angle)
        period = uniform(rng, 5.5, 8.5) * scale
        slow, fast = uniform(rng, 80, 220) * scale, uniform(rng, 20, 50) * scale
        wave = uniform(rng, 6, 18) * scale * np.sin(along / slow + uniform(rng, 0, 6))
        wave += uniform(rng, 2, 6) * scale * np.sin(along / fast + uniform(rng, 0, 6))
        phase = (across + wave) / period
        density = np.maximum(density, _thin_lines(phase, uniform(rng, 0.06, 0.1)) * uniform(rng, 0.5, 0.9))
    for _ in range(3):
        cx, cy = uniform(rng, 0.1, 0.9) * width, uniform(rng, 0.1, 0.9) * height
        radius = np.hypot(xs - cx, ys - cy)
        theta = np.arctan2(ys - cy, xs - cx)
        lobes = int(rng.integers(8, 24))
        phase = (radius + uniform(rng, 8, 20) * scale * np.sin(lobes * theta)) / (uniform(rng, 6, 9) * scale)
        outer = uniform(rng, 0.2, 0.45) * width
        fade = np.clip(1.0 - radius / outer, 0.0, 1.0)
        density = np.maximum(density, _thin_lines(phase, 0.08) * fade * uniform(rng, 0.5, 0.8))
    return np.asarray(np.maximum(density, _watermark(width, height, scale) * 0.45), dtype=np.float32)


def _thin_lines(phase: FloatImage, thickness: float) -> FloatImage:
    distance = np.abs(phase - np.round(phase))
    return np.exp(-((distance / thickness) ** 2)).astype(np.float32)


def _watermark(width: int, height: int, scale: float) -> FloatImage:
    """A large faint crescent and star, the way the card's security print shows the emblem."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy, r = 0.47 * width, 0.58 * height, 0.3 * height
    line = max(1, round(2 * scale))
    for k in range(6):
        rr = r * (1 - k * 0.06)
        draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=255, width=line)
    inner = r * 0.8
    draw.ellipse(
        (cx - inner + r * 0.25, cy - inner, cx + inner + r * 0.25, cy + inner), outline=0, width=line * 6
    )
    draw_star(draw, (cx + r * 0.35, cy - r * 0.25), r * 0.28, outline=255, width=line)
    return np.asarray(mask, dtype=np.float32) * np.float32(1 / 255)


def draw_star(
    draw: ImageDraw.ImageDraw,
    centre: tuple[float, float],
    radius: float,
    *,
    fill: int | tuple[int, ...] | None = None,
    outline: int | tuple[int, ...] | None = None,
    width: int = 1,
) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.42
        a = -math.pi / 2 + i * math.pi / 5
        points.append((centre[0] + r * math.cos(a), centre[1] + r * math.sin(a)))
    draw.polygon(points, fill=fill, outline=outline, width=width)


def tinted_card_background(width: int, height: int, rng: np.random.Generator) -> ByteImage:
    """The card's light green print, with a seed-dependent tint, rainbow gradient and line colour."""
    density = guilloche(width, height, int(rng.integers(GUILLOCHE_VARIANTS)))
    base_left = np.array([uniform(rng, 218, 236), uniform(rng, 234, 246), uniform(rng, 214, 230)], np.float32)
    base_right = base_left + np.array(
        [uniform(rng, -6, 14), uniform(rng, -8, 4), uniform(rng, -6, 16)], np.float32
    )
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[:, None]
    paper = base_left * (1 - ramp) + base_right * ramp  # (width, 3): a left-to-right rainbow
    ink = np.array([uniform(rng, 100, 150), uniform(rng, 160, 195), uniform(rng, 110, 160)], np.float32)
    strength = density * uniform(rng, 0.35, 0.6)
    out = np.empty((height, width, 3), np.uint8)
    for channel in range(3):
        row = paper[:, channel]
        out[:, :, channel] = row + strength * (ink[channel] - row)
    return out


@cache
def _scene_textures() -> tuple[FloatImage, ...]:
    """Table tops and cloths, computed once at a small size and upscaled per scene."""
    w, h = SCENE_TEXTURE_SIZE
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    textures: list[FloatImage] = []
    for variant in range(2):
        rng = stream(variant, "wood")
        warp = _smooth_noise(rng, h, w, 80) * 10 + _smooth_noise(rng, h, w, 8) * 0.8
        grain = np.sin((ys + warp + 0.05 * xs) / uniform(rng, 1.2, 2.5)) * 0.5 + 0.5
        dark = np.array([uniform(rng, 90, 130), uniform(rng, 55, 80), uniform(rng, 30, 50)], np.float32)
        light = dark * uniform(rng, 1.4, 1.7)
        textures.append(dark + (light - dark) * grain[:, :, None])
    for variant in range(2):
        rng = stream(variant, "cloth")
        period = uniform(rng, 2.5, 4.0)
        weave = (np.sin(xs * math.pi / period) * np.sin(ys * math.pi / period)) * 0.5 + 0.5
        colour = rng.uniform(60, 200, 3).astype(np.float32)
        folds = 1 + 0.25 * _smooth_noise(rng, h, w, 60)
        textures.append(colour * (0.8 + 0.2 * weave[:, :, None]) * folds[:, :, None])
    for variant in range(2):
        rng = stream(variant, "stone")
        speckle = rng.random((h, w), dtype=np.float32)
        speckle = np.asarray(cv2.GaussianBlur(speckle, (0, 0), 0.8), dtype=np.float32)
        colour = rng.uniform(120, 220, 3).astype(np.float32)
        textures.append(colour * (0.75 + 0.5 * speckle[:, :, None]))
    for variant in range(2):
        rng = stream(variant, "desk")
        colour = rng.uniform(30, 240, 3).astype(np.float32)
        shade = 1 + 0.15 * _smooth_noise(rng, h, w, 120)
        textures.append(colour * shade[:, :, None])
    return tuple(np.clip(t, 0, 255).astype(np.float32) for t in textures)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> FloatImage:
    """Low-frequency noise in about [-1, 1]."""
    coarse = rng.uniform(-1, 1, (h // cell + 2, w // cell + 2)).astype(np.float32)
    return np.asarray(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def scene_background(width: int, height: int, rng: np.random.Generator) -> ByteImage:
    """A table or cloth under the card: a cached texture, cropped, flipped, recoloured, upscaled."""
    texture = pick(rng, _scene_textures())
    th, tw = texture.shape[:2]
    crop_w = int(tw * uniform(rng, 0.5, 1.0))
    crop_h = min(th, max(8, int(crop_w * height / width)))
    x0 = int(rng.integers(0, tw - crop_w + 1))
    y0 = int(rng.integers(0, th - crop_h + 1))
    region = texture[y0 : y0 + crop_h, x0 : x0 + crop_w]
    if chance(rng, 0.5):
        region = region[:, ::-1]
    if chance(rng, 0.5):
        region = region[::-1]
    # a random channel order and gains turn 8 cached textures into many colours
    gains = rng.uniform(0.75, 1.2, 3).astype(np.float32)
    small = np.clip(region[:, :, rng.permutation(3)] * gains, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


@cache
def _noise_tile() -> ByteImage:
    """N(0, 1) noise, scaled by NOISE_TILE_SCALE and stored around 128 as 8-bit."""
    rng = stream(0, "sensor-noise")
    values = rng.standard_normal((NOISE_TILE, NOISE_TILE, 3), dtype=np.float32) * NOISE_TILE_SCALE + 128
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def add_sensor_noise(image: ByteImage, sigma: float, rng: np.random.Generator) -> ByteImage:
    """Gaussian-like noise of standard deviation ``sigma`` from a cached tile at a random offset."""
    if sigma <= 0:
        return image
    h, w = image.shape[:2]
    tile = _noise_tile()
    if chance(rng, 0.5):
        tile = np.ascontiguousarray(tile[::-1])
    tiled = cv2.repeat(tile, h // NOISE_TILE + 2, w // NOISE_TILE + 2)
    oy, ox = int(rng.integers(NOISE_TILE)), int(rng.integers(NOISE_TILE))
    noise = np.ascontiguousarray(tiled[oy : oy + h, ox : ox + w])
    gain = sigma / NOISE_TILE_SCALE
    return np.asarray(cv2.addWeighted(image, 1.0, noise, gain, -128 * gain), dtype=np.uint8)
