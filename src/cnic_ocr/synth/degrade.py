"""Turn a rendered card (or any document) into what a scanner or a phone produces.

One pipeline, parametrised per condition by a :class:`Shot`: place the subject in a scene with
a perspective homography, light it, blur it, add noise, maybe turn it by a quarter turn, and
encode it. Every random choice comes from the generator passed in, so output is a pure
function of the seed. The subject's corner quadrilateral is tracked through every step.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from cnic_ocr.synth.background import ByteImage, add_sensor_noise, scene_background
from cnic_ocr.synth.card import CARD_ASPECT
from cnic_ocr.synth.fonts import font
from cnic_ocr.synth.portrait import SKIN_TONES
from cnic_ocr.synth.randomness import chance, pick, uniform

ImageFormat = Literal["jpeg", "png"]
Backdrop = Literal["table", "scanner", "shapes"]
Points = npt.NDArray[np.float64]

#: The API answers images under 200 KB fastest; phone-like conditions stay below it.
RECOMMENDED_MAX_BYTES = 200 * 1024
#: Under the contract's 2 MiB limit with room to spare.
LARGE_MAX_BYTES = 1_900_000
LOWEST_JPEG_QUALITY = 35


@dataclass(frozen=True, slots=True)
class Shot:
    """How one condition photographs its subject; ranges are drawn uniformly per sample."""

    card_px: tuple[int, int]  # width of the subject in the output, before perspective
    card_fraction: tuple[float, float]  # subject width / image width
    long_side: tuple[int, int]
    tilt_deg: float  # out-of-plane tilt, at most
    skew_deg: float  # in-plane rotation, at most
    blur: tuple[float, float]  # Gaussian sigma per 1000 px of subject width
    motion_blur: float  # probability of a short motion streak
    noise: tuple[float, float]
    quality: tuple[int, int]
    max_bytes: int
    #: What lies around the subject: a table with clutter (and a shadow), a scanner's white
    #: bed, or a plain surface with large coloured shapes.
    backdrop: Backdrop = "table"
    glare: float = 0.5  # probability of a glare blob
    portrait_share: float = 0.25  # share of portrait-oriented photos
    png_share: float = 0.0
    #: A hand holds the subject: a palm behind one side edge and a thumb over it.
    hand: bool = False
    #: Resized to this square at the end without keeping the aspect ratio, as some public
    #: datasets export their photos (None: keep the frame).
    square: int | None = None


CLEAN = Shot(
    card_px=(900, 1150), card_fraction=(0.84, 0.94), long_side=(950, 1370), tilt_deg=0.0, skew_deg=2.0,
    blur=(0.0, 0.5), motion_blur=0.0, noise=(0.5, 2.5), quality=(88, 97), max_bytes=LARGE_MAX_BYTES,
    backdrop="scanner", glare=0.0, portrait_share=0.0, png_share=0.25,
)  # fmt: skip
PHONE = Shot(
    card_px=(640, 1250), card_fraction=(0.35, 0.9), long_side=(900, 1800), tilt_deg=20.0, skew_deg=10.0,
    blur=(0.0, 1.5), motion_blur=0.3, noise=(1.5, 6.0), quality=(55, 95), max_bytes=RECOMMENDED_MAX_BYTES,
)  # fmt: skip
LOWRES = Shot(
    card_px=(500, 650), card_fraction=(0.5, 0.9), long_side=(600, 1300), tilt_deg=12.0, skew_deg=8.0,
    blur=(0.0, 0.8), motion_blur=0.0, noise=(1.0, 4.0), quality=(60, 88), max_bytes=RECOMMENDED_MAX_BYTES,
)  # fmt: skip
HANDHELD = Shot(
    card_px=(560, 900), card_fraction=(0.72, 0.95), long_side=(640, 1200), tilt_deg=15.0, skew_deg=12.0,
    blur=(0.3, 1.6), motion_blur=0.3, noise=(2.0, 6.0), quality=(60, 90), max_bytes=RECOMMENDED_MAX_BYTES,
    portrait_share=0.2, hand=True, square=640,
)  # fmt: skip
LARGE = Shot(
    card_px=(1300, 3400), card_fraction=(0.35, 0.9), long_side=(3000, 4000), tilt_deg=20.0, skew_deg=10.0,
    blur=(0.2, 0.8), motion_blur=0.2, noise=(1.0, 3.5), quality=(70, 92), max_bytes=LARGE_MAX_BYTES,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Photo:
    image: bytes
    fmt: ImageFormat
    #: Subject corners (its top-left, top-right, bottom-right, bottom-left) in output pixels.
    quad: Points | None
    meta: dict[str, Any]


def photograph(
    subject: Image.Image | None,
    rng: np.random.Generator,
    shot: Shot,
    *,
    rotation: int = 0,
    marks: dict[str, Points] | None = None,
    subject_aspect: float = CARD_ASPECT,
) -> Photo:
    """Place ``subject`` (RGBA; None: nothing) per ``shot``, then turn it clockwise by ``rotation``.

    ``marks`` are point sets in the subject's pixels (e.g. the value boxes) mapped into the output.
    Without a subject, ``subject_aspect`` still sizes the frame as if a card were there.
    """
    fmt: ImageFormat = "png" if chance(rng, shot.png_share) else "jpeg"
    if fmt == "png":  # lossless costs ~1.3 bytes a pixel: keep lossless scans well under 2 MiB
        shot = replace(shot, card_px=(shot.card_px[0] * 8 // 9, shot.card_px[1] * 8 // 9))
    aspect = subject.width / subject.height if subject is not None else subject_aspect
    width, height, card_px = _frame(rng, shot, aspect)
    size = subject.size if subject is not None else (card_px, round(card_px / aspect))
    homography, tilt, skew = _placement(rng, shot, size, card_px, width, height)
    if shot.backdrop == "table":
        canvas = _scene(rng, width, height)
    elif shot.backdrop == "shapes":
        canvas = _shapes(rng, width, height)
    else:
        canvas = _scanner_bed(rng, width, height)
    corners = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], float)
    quad = _transform(homography, corners)
    edge = int(rng.integers(2)) * 2 + 1 if shot.hand else 0  # 1: the right edge, 3: the left
    if shot.hand:
        canvas = _palm(canvas, quad, edge, rng)
    if subject is not None:
        canvas = _composite(canvas, subject, homography, rng, shadow=shot.backdrop == "table")
    if shot.hand:
        canvas = _thumb(canvas, quad, edge, rng)
    canvas = _light(canvas, rng, shot)
    sigma = uniform(rng, *shot.blur) * card_px / 1000
    if sigma > 0.15:
        canvas = np.asarray(cv2.GaussianBlur(canvas, (0, 0), sigma), dtype=np.uint8)
    streak = 0
    if chance(rng, shot.motion_blur):
        streak = int(rng.integers(3, max(4, round(card_px * 0.006)) + 1))
        canvas = _motion_blur(canvas, streak, uniform(rng, 0, 180))
    # lossless scans come from cleaner scanners; noise would also bloat the PNG past 1 MB
    noise = uniform(rng, *shot.noise) * (0.4 if fmt == "png" else 1.0)
    canvas = add_sensor_noise(canvas, noise, rng)

    mapped = {name: _transform(homography, points) for name, points in (marks or {}).items()}
    if shot.square is not None:
        scale = np.array([shot.square / width, shot.square / height])
        canvas = np.asarray(cv2.resize(canvas, (shot.square, shot.square), interpolation=cv2.INTER_AREA))
        quad, width, height = quad * scale, shot.square, shot.square
        mapped = {name: points * scale for name, points in mapped.items()}
    if rotation:
        turns = rotation // 90
        canvas = np.ascontiguousarray(np.rot90(canvas, k=-turns))
        quad = _rotate_points(quad, turns, width, height)
        mapped = {name: _rotate_points(points, turns, width, height) for name, points in mapped.items()}
    data, quality = _encode(
        canvas, fmt, int(rng.integers(shot.quality[0], shot.quality[1] + 1)), shot.max_bytes
    )
    out_h, out_w = canvas.shape[:2]
    meta: dict[str, Any] = {
        "width": out_w,
        "height": out_h,
        "format": fmt,
        "bytes": len(data),
        "rotation": rotation,
        "skew_deg": round(skew, 3),
        "tilt_deg": round(tilt, 3),
        "blur_sigma": round(sigma, 3),
        "motion_blur_px": streak,
        "noise_sigma": round(noise, 3),
        "jpeg_quality": quality if fmt == "jpeg" else None,
        "backdrop": shot.backdrop,
    }
    if subject is None:
        return Photo(data, fmt, None, meta)
    meta["quad"] = _rounded(quad)
    meta["card_width_px"] = round(
        float(np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2, 1
    )
    meta["field_quads"] = {name: _rounded(points) for name, points in mapped.items()}
    return Photo(data, fmt, quad, meta)


def _rounded(points: Points) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in points]


def _frame(rng: np.random.Generator, shot: Shot, aspect: float) -> tuple[int, int, int]:
    """Image width, height and the subject's width in it, honouring all of ``shot``'s ranges."""
    scanner = shot.backdrop == "scanner"
    portrait = chance(rng, shot.portrait_share)
    image_aspect = 3 / 4 if portrait else pick(rng, (4 / 3, 4 / 3, 16 / 9, 3 / 2))
    for _ in range(50):
        card_px = int(rng.integers(shot.card_px[0], shot.card_px[1] + 1))
        width = round(card_px / uniform(rng, *shot.card_fraction))
        # a scan is cropped around the card with an even margin; a photo has the camera's aspect
        height = round(card_px / aspect) + (width - card_px) if scanner else round(width / image_aspect)
        if shot.long_side[0] <= max(width, height) <= shot.long_side[1] and height > card_px / aspect * 1.05:
            return width, height, card_px
    # no draw satisfied every range: fit the subject to the largest allowed frame
    long_side = shot.long_side[1]
    width = long_side if not portrait else round(long_side * image_aspect)
    height = round(width / image_aspect)
    return (
        width,
        height,
        min(shot.card_px[1], round(width * shot.card_fraction[1]), round(height * aspect * 0.9)),
    )


def _placement(
    rng: np.random.Generator, shot: Shot, size: tuple[int, int], card_px: int, width: int, height: int
) -> tuple[npt.NDArray[np.float64], float, float]:
    """A homography from the subject's pixels into the frame: a tilted, turned plane seen by a camera."""
    sw, sh = size
    w, h = card_px, card_px * sh / sw
    tilt = uniform(rng, 0, shot.tilt_deg)
    direction = uniform(rng, 0, 2 * math.pi)
    skewed = shot.backdrop != "scanner" or chance(rng, 0.6)
    skew = uniform(rng, -shot.skew_deg, shot.skew_deg) if skewed else 0.0
    rx, ry, rz = (math.radians(tilt * math.cos(direction)), math.radians(tilt * math.sin(direction)),
                  math.radians(skew))  # fmt: skip
    rot_x = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    rot_y = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    rot_z = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    plane = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    points = plane @ (rot_z @ rot_y @ rot_x).T
    focal = uniform(rng, 0.9, 1.6) * max(width, height)
    projected = points[:, :2] * (focal / (focal + points[:, 2:3]))
    margin = 0.02 * min(width, height)
    span = projected.max(axis=0) - projected.min(axis=0)
    shrink = min(1.0, (width - 2 * margin) / span[0], (height - 2 * margin) / span[1])
    projected *= shrink
    low = margin - projected.min(axis=0)
    high = np.array([width, height]) - margin - projected.max(axis=0)
    offset = np.array(
        [uniform(rng, low[0], max(low[0], high[0])), uniform(rng, low[1], max(low[1], high[1]))]
    )
    target = (projected + offset).astype(np.float32)
    source = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    homography = np.asarray(cv2.getPerspectiveTransform(source, target), dtype=np.float64)
    return homography, tilt, skew


def _transform(homography: npt.NDArray[np.float64], points: Points) -> Points:
    mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), homography)
    return np.asarray(mapped, dtype=np.float64).reshape(-1, 2)


def _rotate_points(points: Points, turns: int, width: int, height: int) -> Points:
    """Where points of a ``width`` x ``height`` image land after ``turns`` clockwise quarter turns."""
    out = points.copy()
    w, h = width, height
    for _ in range(turns % 4):
        out = np.stack([h - out[:, 1], out[:, 0]], axis=1)
        w, h = h, w
    return out


def _scanner_bed(rng: np.random.Generator, width: int, height: int) -> ByteImage:
    level = int(rng.integers(236, 252))
    bed = np.empty((height, width, 3), np.uint8)
    bed[:] = [level + int(rng.integers(0, 5)) for _ in range(3)]
    return bed


CLUTTER_WORDS = (
    "Receipt", "Total", "Cash", "Thank you", "Invoice", "Qty", "Milk", "Bread", "Tea", "Sugar",
    "Meeting", "Call back", "Notes", "Grocery", "Paid", "Balance", "Rs.", "Order", "Item", "Change",
    "Monday", "Friday", "Reminder", "Pharmacy", "Fuel", "Bus", "Ticket", "Office", "Room 12",
)  # fmt: skip


def _scene(rng: np.random.Generator, width: int, height: int) -> ByteImage:
    """A table or cloth with some clutter: papers with text, pens, coins, a phone."""
    image = Image.fromarray(scene_background(width, height, rng), "RGB")
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    for _ in range(int(rng.integers(2, 9))):
        kind = pick(rng, ("paper", "paper", "pen", "coin", "phone", "note"))
        x, y = uniform(rng, -0.1, 1.0) * width, uniform(rng, -0.1, 1.0) * height
        if kind in ("paper", "note"):
            _paste_paper(image, rng, (x, y), unit, note=kind == "note")
        elif kind == "pen":
            angle = uniform(rng, 0, math.pi)
            length = uniform(rng, 0.2, 0.45) * unit
            end = (x + length * math.cos(angle), y + length * math.sin(angle))
            colour = tuple(int(c) for c in rng.integers(0, 255, 3))
            draw.line([(x, y), end], fill=colour, width=max(3, round(unit * 0.018)))
        elif kind == "coin":
            r = uniform(rng, 0.025, 0.05) * unit
            metal = pick(rng, ((185, 160, 90), (170, 170, 165), (150, 110, 70)))
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=metal, outline=(90, 80, 60), width=max(1, round(r / 10))
            )
        else:
            pw, ph = uniform(rng, 0.15, 0.25) * unit, uniform(rng, 0.3, 0.5) * unit
            draw.rounded_rectangle(
                (x, y, x + pw, y + ph), radius=pw * 0.12, fill=(20, 22, 26), outline=(90, 90, 95)
            )
    return np.asarray(image, dtype=np.uint8)


def _paste_paper(
    image: Image.Image, rng: np.random.Generator, at: tuple[float, float], unit: int, note: bool
) -> None:
    """A sheet of paper (or a sticky note) with unrelated lines of text, at a random angle."""
    pw = int(uniform(rng, 0.15, 0.22) * unit) if note else int(uniform(rng, 0.25, 0.5) * unit)
    ph = pw if note else int(pw * uniform(rng, 1.2, 1.45))
    paper = (250, 235, 120) if note else tuple(int(c) for c in rng.integers(228, 252, 3))
    sheet = Image.new("RGBA", (pw, ph), (*paper, 255))
    draw = ImageDraw.Draw(sheet)
    size = max(8, round(pw * uniform(rng, 0.035, 0.055)))
    face = font("sans", size)
    y = size
    while y < ph - 2 * size:
        words = [pick(rng, CLUTTER_WORDS) for _ in range(int(rng.integers(1, 5)))]
        if chance(rng, 0.4):
            words.append(f"{int(rng.integers(10, 9999))}.{int(rng.integers(0, 100)):02d}")
        draw.text((size, y), " ".join(words), font=face, fill=(40, 40, 50, 255))
        y += int(size * uniform(rng, 1.4, 2.2))
    # rotate with OpenCV (much faster than Pillow for big sheets), into an expanded box
    angle = uniform(rng, -40, 40)
    rad = math.radians(angle)
    out_w = int(abs(pw * math.cos(rad)) + abs(ph * math.sin(rad))) + 2
    out_h = int(abs(pw * math.sin(rad)) + abs(ph * math.cos(rad))) + 2
    turn = np.asarray(cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0), dtype=np.float64)
    turn[:, 2] += np.array([(out_w - pw) / 2, (out_h - ph) / 2])
    rotated = cv2.warpAffine(np.asarray(sheet), turn, (out_w, out_h), flags=cv2.INTER_LINEAR)
    layer = Image.fromarray(rotated, "RGBA")
    image.paste(layer, (int(at[0]), int(at[1])), layer)


def _shapes(rng: np.random.Generator, width: int, height: int) -> ByteImage:
    """A plain surface covered with large coloured shapes: a photo with no document in it."""
    image = Image.new("RGB", (width, height), tuple(int(c) for c in rng.integers(40, 240, 3)))
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    for _ in range(int(rng.integers(4, 14))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = uniform(rng, 0, width), uniform(rng, 0, height)
        r = uniform(rng, 0.05, 0.3) * unit
        kind = pick(rng, ("ellipse", "rectangle", "polygon", "line"))
        if kind == "ellipse":
            draw.ellipse((x - r, y - r * uniform(rng, 0.5, 1.5), x + r, y + r), fill=colour)
        elif kind == "rectangle":
            draw.rectangle((x - r, y - r * uniform(rng, 0.3, 1.0), x + r, y + r), fill=colour)
        elif kind == "polygon":
            angles = np.sort(rng.uniform(0, 2 * math.pi, int(rng.integers(3, 7))))
            draw.polygon([(x + r * math.cos(a), y + r * math.sin(a)) for a in angles], fill=colour)
        else:
            draw.line([(x, y), (x + uniform(rng, -r, r) * 3, y + uniform(rng, -r, r) * 3)], fill=colour,
                      width=max(2, round(r * 0.1)))  # fmt: skip
    return np.asarray(image, dtype=np.uint8)


def _edge_frame(quad: Points, edge: int) -> tuple[Points, Points, Points, float]:
    """Where a hand grips edge ``edge`` of ``quad``: its start, direction, inward normal and length."""
    start, end = quad[edge], quad[(edge + 1) % 4]
    along = end - start
    length = float(np.hypot(*along))
    direction = along / max(length, 1e-6)
    normal = np.array([-direction[1], direction[0]])
    if np.dot(quad.mean(axis=0) - start, normal) < 0:
        normal = -normal
    return start, direction, normal, length


def _skin(rng: np.random.Generator) -> tuple[int, int, int]:
    tone = pick(rng, SKIN_TONES)
    return (tone[0], tone[1], tone[2])


def _palm(canvas: ByteImage, quad: Points, edge: int, rng: np.random.Generator) -> ByteImage:
    """The holding hand behind the card: a large skin-coloured shape outside one side edge."""
    start, direction, normal, length = _edge_frame(quad, edge)
    centre = start + direction * length * uniform(rng, 0.4, 0.7) - normal * length * uniform(rng, 0.25, 0.45)
    angle = math.degrees(math.atan2(direction[1], direction[0]))
    axes = (round(length * uniform(rng, 0.55, 0.8)), round(length * uniform(rng, 0.4, 0.6)))
    out = canvas.copy()
    skin = _skin(rng)
    cv2.ellipse(out, (round(centre[0]), round(centre[1])), axes, angle, 0, 360, skin, -1, cv2.LINE_AA)
    return out


def _thumb(canvas: ByteImage, quad: Points, edge: int, rng: np.random.Generator) -> ByteImage:
    """A thumb lying over the card's edge: its tip covers only the card's margin."""
    start, direction, normal, length = _edge_frame(quad, edge)
    _, _, _, across = _edge_frame(quad, (edge + 1) % 4)
    grip = start + direction * length * uniform(rng, 0.3, 0.75)
    width = across * uniform(rng, 0.11, 0.15)
    tip = grip + normal * across * uniform(rng, 0.02, 0.05)
    base = grip - normal * across * uniform(rng, 0.35, 0.5) + direction * uniform(rng, -0.2, 0.2) * width
    skin = _skin(rng)
    outline = tuple(round(c * 0.78) for c in skin)
    out = canvas.copy()
    for colour, thickness in ((outline, width * 1.08), (skin, width)):
        cv2.line(out, _point(base), _point(tip - normal * width / 2), colour, round(thickness), cv2.LINE_AA)
    nail_centre = tip - normal * width * 0.55
    axes = (max(1, round(width * 0.28)), max(1, round(width * 0.36)))
    angle = math.degrees(math.atan2(normal[1], normal[0]))
    nail = tuple(min(255, round(c * 1.12 + 12)) for c in skin)
    cv2.ellipse(out, _point(nail_centre), axes, angle, 0, 360, nail, -1, cv2.LINE_AA)
    return out


def _point(xy: Points) -> tuple[int, int]:
    return (round(float(xy[0])), round(float(xy[1])))


def _composite(
    canvas: ByteImage,
    subject: Image.Image,
    homography: npt.NDArray[np.float64],
    rng: np.random.Generator,
    *,
    shadow: bool,
) -> ByteImage:
    """Warp the subject into the canvas, only within its bounding box, with a soft drop shadow."""
    height, width = canvas.shape[:2]
    source = np.asarray(subject.convert("RGBA"))
    corners = np.array(
        [[0, 0], [subject.width, 0], [subject.width, subject.height], [0, subject.height]], float
    )
    quad = _transform(homography, corners)
    scale = float(np.hypot(*(quad[1] - quad[0]))) / subject.width
    if scale < 0.75:  # shrink first: warping samples pixels, shrinking by warp alone would alias
        factor = min(1.0, scale * 1.25)
        small = (max(1, round(subject.width * factor)), max(1, round(subject.height * factor)))
        source = np.asarray(cv2.resize(source, small, interpolation=cv2.INTER_AREA))
        homography = homography @ np.diag([subject.width / small[0], subject.height / small[1], 1.0])
    pad = int(0.06 * scale * subject.width) + 4
    x0, y0 = np.maximum(np.floor(quad.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(quad.max(axis=0)).astype(int) + pad, [width, height])
    size = (int(x1 - x0), int(y1 - y0))
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], float)
    warped: ByteImage = np.asarray(cv2.warpPerspective(source, shift @ homography, size), dtype=np.uint8)
    region = np.ascontiguousarray(canvas[y0:y1, x0:x1])
    if shadow:
        region = _drop_shadow(region, warped[:, :, 3], scale * subject.width, rng)
    alpha = warped[:, :, 3].astype(np.float32) * np.float32(1 / 255)
    rgb = np.ascontiguousarray(warped[:, :, :3])
    blended = cv2.blendLinear(rgb, region, alpha, np.float32(1) - alpha)
    out = canvas.copy()
    out[y0:y1, x0:x1] = blended
    return out


def _drop_shadow(region: ByteImage, alpha: ByteImage, card_px: float, rng: np.random.Generator) -> ByteImage:
    """Darken ``region`` under a blurred, offset copy of the card's alpha (computed at 1/4 size)."""
    h, w = alpha.shape
    small = cv2.resize(alpha, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, 0.003 * card_px))
    dx, dy = (int(uniform(rng, -0.003, 0.003) * card_px) for _ in range(2))
    small = np.roll(small, (dy, dx), axis=(0, 1))
    depth = uniform(rng, 0.2, 0.5)
    shade = 255 - (cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) * depth)
    shade3 = cv2.cvtColor(shade.astype(np.uint8), cv2.COLOR_GRAY2RGB)
    return np.asarray(cv2.multiply(region, shade3, scale=1 / 255), dtype=np.uint8)


def _light(image: ByteImage, rng: np.random.Generator, shot: Shot) -> ByteImage:
    """Uneven light with a colour cast, contrast and brightness changes, and maybe a glare blob."""
    height, width = image.shape[:2]
    scanner = shot.backdrop == "scanner"
    cells = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    spread = 0.04 if scanner else 0.18
    field = rng.uniform(1 - spread, 1 + spread * 0.4, cells).astype(np.float32)
    # the smooth field in 1/128 steps, as 8-bit, so that the full-size multiply stays 8-bit
    field_u8 = np.clip(field * 128, 0, 255).astype(np.uint8)
    field_map = cv2.resize(field_u8, (width, height), interpolation=cv2.INTER_LINEAR)
    shaded = cv2.multiply(image, cv2.cvtColor(field_map, cv2.COLOR_GRAY2RGB), scale=1 / 128)
    cast = np.ones(3, np.float32) if scanner else rng.uniform(0.88, 1.1, 3).astype(np.float32)
    contrast = uniform(rng, 0.95, 1.05) if scanner else uniform(rng, 0.8, 1.12)
    brightness = uniform(rng, -6, 6) if scanner else uniform(rng, -25, 20)
    values = np.arange(256, dtype=np.float32)[:, None] * cast[None, :]
    levels = np.clip((values - 128) * contrast + 128 + brightness, 0, 255).astype(np.uint8)
    lit: ByteImage = np.asarray(cv2.LUT(shaded, levels.reshape(1, 256, 3)), dtype=np.uint8)
    if chance(rng, shot.glare):
        lit = _glare(lit, rng)
    return lit


def _glare(image: ByteImage, rng: np.random.Generator) -> ByteImage:
    """An additive white blob: strong enough to wash the print, not to erase dark text."""
    height, width = image.shape[:2]
    small_w, small_h = 64, max(8, round(64 * height / width))
    ys, xs = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    cx, cy = uniform(rng, 0.15, 0.85) * small_w, uniform(rng, 0.15, 0.85) * small_h
    rx, ry = uniform(rng, 0.05, 0.2) * small_w, uniform(rng, 0.05, 0.2) * small_w
    blob = np.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)) * uniform(rng, 60, 130)
    glare = cv2.resize(blob.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.add(image, cv2.cvtColor(glare, cv2.COLOR_GRAY2RGB)), dtype=np.uint8)


def _motion_blur(image: ByteImage, length: int, angle_deg: float) -> ByteImage:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle_deg, 1.0)
    kernel = np.asarray(cv2.warpAffine(kernel, turn, (length, length)), dtype=np.float32)
    kernel /= max(float(kernel.sum()), 1e-6)
    return np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.uint8)


def _encode(image: ByteImage, fmt: ImageFormat, quality: int, max_bytes: int) -> tuple[bytes, int]:
    """Encode, lowering JPEG quality step by step until the bytes fit ``max_bytes``."""
    picture = Image.fromarray(image, "RGB")
    while True:
        buffer = io.BytesIO()
        if fmt == "png":
            picture.save(buffer, "PNG", compress_level=2)
            return buffer.getvalue(), 0
        picture.save(buffer, "JPEG", quality=quality)
        data = buffer.getvalue()
        if len(data) <= max_bytes or quality <= LOWEST_JPEG_QUALITY:
            return data, quality
        quality = max(LOWEST_JPEG_QUALITY, quality - 8)
