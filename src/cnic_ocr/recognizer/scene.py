"""Finding the card's text in a photo and turning it upright, by the text itself.

No outline and no drawing of the card is assumed: text lines are detected in the whole
photo, the angle most of them run at says how the card is turned (any angle, 90 and 270
included), the line classifier's vote says whether it is upside down, and when the text
is too small for the detector (a card far away, a small or stretched photo) the block of
text is cut out and detected again at a size the detector reads well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cnic_ocr.recognizer.engine import OcrEngine, TextBox, crop_quad

Matrix = NDArray[np.float64]

#: Small photos are enlarged up to this for detection: the detector misses lines under about
#: 14 px (a lone letter, a card's small labels).
MAX_UPSCALE = 1.6
#: Text whose median line is lower than this at detection scale is detected again, enlarged
#: to about ``ZOOM_LINE_HEIGHT``; the second input's long side stays under ``ZOOM_MAX_SIDE``.
MIN_LINE_HEIGHT = 18.0
ZOOM_LINE_HEIGHT = 30.0
ZOOM_MAX_SIDE = 1400
#: Lines read at most (the largest first): a card has about 25, a page of text hundreds.
MAX_LINES = 48
#: Lines are read this much wider than they are (see ``crops_of``).
READ_STRETCH = 1.5
#: A line that nearly reads as a number or a date is read again this much wider.
RETRY_STRETCH = 2.2
#: Lines whose angle differs from the text's by more than this are not the card's.
ALIGNED_DEG = 10.0


@dataclass(frozen=True)
class SceneLine:
    """A detected line in the upright view: four corners (clockwise from top-left)."""

    points: NDArray[np.float32]

    @property
    def height(self) -> float:
        return float(np.ptp(self.points[:, 1]))

    @property
    def width(self) -> float:
        return float(np.ptp(self.points[:, 0]))


@dataclass(frozen=True)
class Scene:
    """The photo turned so the card's text runs upright, left to right, and its lines."""

    view: NDArray[np.uint8]
    lines: list[SceneLine]
    #: Photo pixels -> view pixels (a 3 x 3 affine matrix).
    to_view: Matrix
    #: Degrees the card's text is turned clockwise in the photo.
    rotation: float
    zoomed: bool


@dataclass(frozen=True)
class Detection:
    """The text lines detected in the whole photo, and the angles they run at."""

    view: NDArray[np.uint8]
    to_view: Matrix
    boxes: list[TextBox]
    #: Angles text runs at, the most text first (``text_angles``).
    angles: list[float]


def detect_text(engine: OcrEngine, image: NDArray[np.uint8], side: int) -> Detection:
    """Detect the text of the whole ``image`` reduced (or enlarged) to a long ``side``."""
    height, width = image.shape[:2]
    scale = min(MAX_UPSCALE, side / max(height, width))
    first = _affine(image, np.diag([scale, scale, 1.0]), (round(width * scale), round(height * scale)))
    boxes = engine.detect(first.view)
    return Detection(first.view, first.to_view, boxes, text_angles(boxes))


def find_scene(
    engine: OcrEngine,
    image: NDArray[np.uint8],
    detection: Detection,
    angle: float | None,
    against_votes: bool = False,
) -> Scene:
    """Turn ``image`` so the text at ``angle`` (one of ``detection.angles``) runs upright; the
    lines are not read yet. The line classifier's votes say which way up, unless
    ``against_votes`` (its votes split on a small or blurred card)."""
    if angle is None:
        return Scene(detection.view, [], detection.to_view, 0.0, False)
    height, width = detection.view.shape[:2]
    turn = _turn_matrix(angle, width, height)
    upright = _affine(image, turn @ detection.to_view, _turned_size(turn, width, height))
    lines = [_moved(box.points, turn) for box in detection.boxes]
    lines = [line for line in lines if _aligned(line)]
    rotation = angle
    if _is_upside_down(engine, upright.view, lines) != against_votes:
        upright, lines = _rotated_half(image, upright, lines)
        rotation += 180
    scene = Scene(upright.view, _largest(lines), upright.to_view, rotation % 360, False)
    heights = [line.height for line in lines if line.width > 2 * line.height]
    if heights and float(np.median(heights)) < MIN_LINE_HEIGHT:
        region = _text_region(lines, upright.view.shape[1], upright.view.shape[0])
        return zoom_scene(engine, image, scene, region, ZOOM_LINE_HEIGHT / float(np.median(heights))) or scene
    return scene


def zoom_scene(
    engine: OcrEngine,
    image: NDArray[np.uint8],
    scene: Scene,
    region: tuple[float, float, float, float],
    factor: float,
) -> Scene | None:
    """``region`` of the view cut out of the photo ``factor`` times larger (within limits) and
    its text detected again; None when that is not larger or holds no text."""
    x0, y0, x1, y1 = region
    factor = min(factor, 3.0, ZOOM_MAX_SIDE / max(x1 - x0, y1 - y0, 1.0))
    if factor <= 1.15:
        return None
    crop = np.array([[factor, 0.0, -x0 * factor], [0.0, factor, -y0 * factor], [0.0, 0.0, 1.0]])
    size = (round((x1 - x0) * factor), round((y1 - y0) * factor))
    zoom = _affine(image, crop @ scene.to_view, size)
    lines = [line for line in (SceneLine(box.points) for box in engine.detect(zoom.view)) if _aligned(line)]
    if not lines:
        return None
    return Scene(zoom.view, _largest(lines), zoom.to_view, scene.rotation, True)


def photo_scale(scene: Scene) -> float:
    """How many view pixels a pixel of the photo is (below 1: the view shows less detail)."""
    return math.sqrt(abs(float(np.linalg.det(scene.to_view[:2, :2]))))


def _largest(lines: list[SceneLine]) -> list[SceneLine]:
    return sorted(lines, key=lambda line: -line.width * line.height)[:MAX_LINES]


#: Crops are cut with this margin around a line, as a share of its height.
CROP_PAD = 0.08


def character_xs(line: SceneLine, shares: tuple[float, ...]) -> tuple[float, ...]:
    """View x of each character's middle, from its share of the (padded) crop's width."""
    margin = CROP_PAD * line.height
    left, width = float(line.points[:, 0].min()) - margin, line.width + 2 * margin
    return tuple(left + share * width for share in shares)


def crops_of(scene: Scene, lines: list[SceneLine], stretch: float = READ_STRETCH) -> list[NDArray[np.uint8]]:
    """Each line cut out upright and widened: the card's condensed type is read far better
    wider (a doubled digit merges less often into one)."""
    crops = []
    for line in lines:
        crop = crop_quad(scene.view, line.points, pad=CROP_PAD)
        size = (round(crop.shape[1] * stretch), crop.shape[0])
        crops.append(np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8))
    return crops


#: The angle text runs at is found where the most line length lies within this many degrees
#: (a paper lying a few degrees off the card is another angle)...
ANGLE_WINDOW = 3.0
#: ...and is the mean of the lines within this many degrees of it (a card's lines spread a few
#: degrees when the photo is taken at a slant).
ANGLE_SPREAD = 6.0
#: Other angles text runs at are tried when they hold at least this share of the most text.
OTHER_ANGLE_SHARE = 1 / 3


def text_angles(boxes: list[TextBox]) -> list[float]:
    """The baseline angles (degrees, in [-90, 90)) text runs at, the most text first.

    Each is found at the densest angle (the most line length within ``ANGLE_WINDOW``), then
    taken as the length-weighted mean of the lines within ``ANGLE_SPREAD`` of it, and those
    lines leave the count. Grouping every line within 6 degrees of the longest, a card at a
    slant beside a paper 5 degrees off was turned 4 degrees short of upright. The card's lines
    make one angle, papers lying askew beside it others; those that hold far less text than
    the first (``OTHER_ANGLE_SHARE``) are left out. Boxes too short to show a direction do not
    count.
    """
    lines: list[tuple[float, float]] = []
    for box in boxes:
        (_, _), (w, h), angle = cv2.minAreaRect(box.points)
        if w < h:
            w, h, angle = h, w, angle + 90
        if w >= 2 * h:
            lines.append((((angle + 90) % 180) - 90, float(w)))
    angles: list[tuple[float, float]] = []
    while lines:
        densest = max(
            (a for a, _ in lines), key=lambda at: sum(w for a, w in lines if _apart(a, at) < ANGLE_WINDOW)
        )
        centre = _mean_angle([(a, w) for a, w in lines if _apart(a, densest) < ANGLE_WINDOW])
        members = [(a, w) for a, w in lines if _apart(a, centre) < ANGLE_SPREAD]  # never empty
        angles.append((_mean_angle(members), sum(w for _, w in members)))
        lines = [(a, w) for a, w in lines if _apart(a, centre) >= ANGLE_SPREAD]
    return [angle for angle, weight in angles if weight >= OTHER_ANGLE_SHARE * angles[0][1]]


def angle_near(detection: Detection, rotation: float) -> float:
    """The angle of ``detection``'s text nearest a card's known ``rotation``, the same way up:
    another detection measures the card's angle afresh."""
    angle = min(detection.angles, key=lambda at: _apart(at, rotation), default=rotation)
    if _apart(angle, rotation) >= ANGLE_SPREAD:
        return rotation
    return angle if abs((angle - rotation + 180) % 360 - 180) <= 90 else angle + 180


def _apart(first: float, second: float) -> float:
    """Degrees between two line directions (a line has no direction: 0 and 180 are one)."""
    return abs(((first - second) + 90) % 180 - 90)


def _mean_angle(lines: list[tuple[float, float]]) -> float:
    """The length-weighted circular mean of line angles (on the doubled angle)."""
    sin = sum(w * math.sin(math.radians(2 * a)) for a, w in lines)
    cos = sum(w * math.cos(math.radians(2 * a)) for a, w in lines)
    return math.degrees(math.atan2(sin, cos)) / 2


@dataclass(frozen=True)
class _Warped:
    view: NDArray[np.uint8]
    to_view: Matrix


def _affine(image: NDArray[np.uint8], matrix: Matrix, size: tuple[int, int]) -> _Warped:
    width, height = max(size[0], 8), max(size[1], 8)
    if np.allclose(matrix, np.eye(3)) and image.shape[1] == width and image.shape[0] == height:
        return _Warped(image, matrix)
    shrinking = abs(float(np.linalg.det(matrix[:2, :2]))) < 1.0
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    view = cv2.warpAffine(
        image, matrix[:2], (width, height), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
    )
    return _Warped(np.asarray(view, dtype=np.uint8), matrix)


def _turn_matrix(angle: float, width: int, height: int) -> Matrix:
    """Rotation by ``angle`` about the centre, shifted so the whole turned image is in view."""
    turn = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0), [0.0, 0.0, 1.0]])
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], dtype=np.float64)
    moved = corners @ turn.T
    shift = np.eye(3)
    shift[:2, 2] = -moved[:, :2].min(axis=0)
    return np.asarray(shift @ turn, dtype=np.float64)


def _turned_size(turn: Matrix, width: int, height: int) -> tuple[int, int]:
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], dtype=np.float64)
    moved = corners @ turn.T
    return round(float(moved[:, 0].max())), round(float(moved[:, 1].max()))


def _moved(points: NDArray[np.float32], matrix: Matrix) -> SceneLine:
    moved = np.hstack([points.astype(np.float64), np.ones((4, 1))]) @ matrix.T
    return SceneLine(_clockwise_from_top_left(moved[:, :2].astype(np.float32)))


def _clockwise_from_top_left(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """A text box's corners from its top-left, once turned upright (the detector's own order)."""
    centre = points.mean(axis=0)
    order = np.argsort(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]))
    ordered = points[order]  # clockwise in image coordinates, starting anywhere
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.ascontiguousarray(np.roll(ordered, -start, axis=0))


def _aligned(line: SceneLine) -> bool:
    """Whether a line runs left to right in the view (or is too short to tell)."""
    top = line.points[1] - line.points[0]
    if line.width < 2 * line.height:
        return True
    return abs(math.degrees(math.atan2(float(top[1]), float(top[0])))) < ALIGNED_DEG


def _is_upside_down(engine: OcrEngine, view: NDArray[np.uint8], lines: list[SceneLine]) -> bool:
    widest = sorted(lines, key=lambda line: -line.width)[:8]
    upright, flipped = engine.upside_down_votes([crop_quad(view, line.points) for line in widest])
    return flipped > upright


def _rotated_half(
    image: NDArray[np.uint8], upright: _Warped, lines: list[SceneLine]
) -> tuple[_Warped, list[SceneLine]]:
    height, width = upright.view.shape[:2]
    half = np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    turned = _Warped(np.ascontiguousarray(np.rot90(upright.view, 2)), half @ upright.to_view)
    return turned, [_moved(line.points, half) for line in lines]


def _text_region(lines: list[SceneLine], width: int, height: int) -> tuple[float, float, float, float]:
    """The box of the largest block of text lines, padded by a few line heights.

    Lines join a block when nearer than two of their heights; the card's lines make one block
    and outweigh a stray word of the background.
    """
    boxes = [(*line.points.min(axis=0), *line.points.max(axis=0)) for line in lines]
    parent = list(range(len(boxes)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, (ax0, ay0, ax1, ay1) in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            bx0, by0, bx1, by1 = boxes[j]
            reach = 2.0 * max(min(ay1 - ay0, by1 - by0), 4.0)
            if bx0 - ax1 < reach and ax0 - bx1 < reach and by0 - ay1 < reach and ay0 - by1 < reach:
                parent[root(i)] = root(j)
    weights: dict[int, float] = {}
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        weights[root(index)] = weights.get(root(index), 0.0) + float((x1 - x0) * (y1 - y0))
    block = max(weights, key=lambda key: weights[key])
    members = np.array([boxes[i] for i in range(len(boxes)) if root(i) == block], dtype=np.float64)
    pad = 3.0 * float(np.median(members[:, 3] - members[:, 1]))
    return (
        max(0.0, float(members[:, 0].min()) - pad),
        max(0.0, float(members[:, 1].min()) - pad),
        min(float(width), float(members[:, 2].max()) + pad),
        min(float(height), float(members[:, 3].max()) + pad),
    )
