"""Finding the card in a photo and rectifying it to the ID-1 aspect.

Classical OpenCV, two ways. First from straight edges: the card's four sides are long
straight edges even where it touches or overlaps papers, so every quadrilateral made of two
pairs of near-parallel edge lines is scored by how well its aspect fits ID-1
(85.60 x 53.98 mm), how much of each side lies on an edge, and its size. When no such
quadrilateral stands out, from regions: the card is a bright, low-texture rounded rectangle,
so contours of edge, brightness and colour masks are scored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

CARD_ASPECT = 85.60 / 53.98
#: Rectified card size in pixels (width x height): text lines come out ~18-30 px tall.
CARD_WIDTH = 1000
CARD_HEIGHT = round(CARD_WIDTH / CARD_ASPECT)
_WORK_SIDE = 640
#: Straight-edge search: how many of the longest lines to combine (pairs of pairs grow as n**4).
_MAX_LINES = 40
#: Two lines are one side's pair when within this many degrees; two pairs cross at least at 60.
_PARALLEL_DEG = 12.0
_CROSSING_DEG = 60.0
#: A runner-up quadrilateral must lie elsewhere (overlap below this) and score this share of the best.
_RUNNER_UP_OVERLAP = 0.2
_RUNNER_UP_SCORE = 0.5
#: Above this share of edge pixels the photo is texture everywhere: straight edges mean nothing.
_MAX_EDGE_DENSITY = 0.5
#: A side counts as seen when this share of its middle 80 % lies on an edge.
_MIN_SIDE_SUPPORT = 0.3


@dataclass(frozen=True)
class CardQuad:
    corners: NDArray[np.float32]  # (4, 2) tl, tr, br, bl in original image pixels; tl-tr is a long side
    score: float
    source: str
    share: float  # of the image's area


def order_corners(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """Order four points clockwise from the top-left, then make the first edge a long side."""
    pts = points.reshape(4, 2).astype(np.float32)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(pts.sum(axis=1)))
    pts = np.roll(pts, -start, axis=0)
    top = np.linalg.norm(pts[0] - pts[1]) + np.linalg.norm(pts[2] - pts[3])
    side = np.linalg.norm(pts[1] - pts[2]) + np.linalg.norm(pts[3] - pts[0])
    if side > top:  # card stands upright in the photo: start from the next corner
        pts = np.roll(pts, -1, axis=0)
    return pts


def _quad_score(quad: NDArray[np.float32], contour_area: float, image_area: float) -> float:
    ordered = order_corners(quad)
    long_side = (np.linalg.norm(ordered[0] - ordered[1]) + np.linalg.norm(ordered[2] - ordered[3])) / 2
    short_side = (np.linalg.norm(ordered[1] - ordered[2]) + np.linalg.norm(ordered[3] - ordered[0])) / 2
    if short_side < 1:
        return 0.0
    quad_area = float(cv2.contourArea(ordered))
    share = quad_area / image_area
    if share < 0.06 or share > 0.97:  # the whole frame is not evidence of a card
        return 0.0
    aspect = long_side / short_side
    # perspective bends the aspect a little; a portrait-shaped box (the photo) is not the card
    aspect_fit = 1.0 - abs(np.log(aspect / CARD_ASPECT)) / 0.2
    fill = min(1.0, contour_area / quad_area) if quad_area > 0 else 0.0
    if aspect_fit < 0.25 or fill < 0.8:
        return 0.0
    return float(aspect_fit * fill * (0.5 + min(share, 0.6)))


def _quads_from_mask(mask: NDArray[np.uint8]) -> list[tuple[NDArray[np.float32], float]]:
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    min_area = 0.05 * mask.shape[0] * mask.shape[1]
    found: list[tuple[NDArray[np.float32], float]] = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if area < min_area:
            continue
        hull = cv2.convexHull(contour)
        perimeter = cv2.arcLength(hull, True)
        quad = None
        for eps in (0.02, 0.04, 0.06):
            approx = cv2.approxPolyDP(hull, eps * perimeter, True)
            if len(approx) == 4:
                quad = approx.reshape(4, 2).astype(np.float32)
                break
        if quad is None:  # rounded or clipped corners: the rotated bounding rectangle
            quad = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
        found.append((quad, area))
    return found


def find_cards(image: NDArray[np.uint8]) -> list[CardQuad]:
    """The most card-like quadrilaterals in ``image`` (BGR), best first (at most two).

    The runner-up is a separate place (a card-shaped receipt next to the card can outscore it).
    """
    height, width = image.shape[:2]
    scale = _WORK_SIDE / max(height, width)
    small = np.asarray(
        cv2.resize(
            image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
        ),
        dtype=np.uint8,
    )
    found = _quads_from_lines(small) or [best for best in [_quad_from_regions(small)] if best is not None]
    image_area = float(small.shape[0] * small.shape[1])
    return [
        CardQuad(
            corners=order_corners(quad / scale),
            score=score,
            source=source,
            share=float(cv2.contourArea(quad)) / image_area,
        )
        for quad, score, source in found
    ]


def _colour_edges(small: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Edges in lightness and in both colour axes: a light-green card on white paper differs in a*."""
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2LAB)
    edges = np.zeros(small.shape[:2], dtype=np.uint8)
    for channel, (low, high) in zip(cv2.split(lab), ((25, 70), (10, 30), (10, 30)), strict=True):
        edges |= np.asarray(cv2.Canny(channel, low, high), dtype=np.uint8)
    return edges


def _edge_lines(edges: NDArray[np.uint8], min_length: int) -> NDArray[np.float64]:
    """Long straight edges as (x0, y0, vx, vy) rows, longest first: collinear segments merged."""
    segments = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=int(0.6 * min_length), minLineLength=min_length, maxLineGap=6
    )
    if segments is None:
        return np.empty((0, 4))
    clusters: list[tuple[float, float, list[tuple[float, float]], list[float]]] = []
    for x1, y1, x2, y2 in segments.reshape(-1, 4).astype(np.float64):
        theta = float(np.arctan2(y2 - y1, x2 - x1) % np.pi)
        length = float(np.hypot(x2 - x1, y2 - y1))
        for c_theta, c_rho, points, lengths in clusters:
            turn = abs((theta - c_theta + np.pi / 2) % np.pi - np.pi / 2)
            offset = -np.sin(c_theta) * (x1 + x2) / 2 + np.cos(c_theta) * (y1 + y2) / 2 - c_rho
            if turn < np.radians(3) and abs(offset) < 5:
                points += [(x1, y1), (x2, y2)]
                lengths.append(length)
                break
        else:
            rho = float(-np.sin(theta) * x1 + np.cos(theta) * y1)
            clusters.append((theta, rho, [(x1, y1), (x2, y2)], [length]))
    clusters.sort(key=lambda cluster: -sum(cluster[3]))
    lines = [
        cv2.fitLine(np.array(points, dtype=np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()[[2, 3, 0, 1]]
        for _, _, points, _ in clusters[:_MAX_LINES]
    ]
    return np.array(lines, dtype=np.float64).reshape(-1, 4)


def _crossings(lines: NDArray[np.float64], a: NDArray[np.intp], b: NDArray[np.intp]) -> NDArray[np.float64]:
    x0, y0, vx, vy = lines[a].T
    x1, y1, ux, uy = lines[b].T
    det = vy * ux - vx * uy
    det = np.where(np.abs(det) < 1e-9, 1e-9, det)
    t = ((y1 - y0) * ux - (x1 - x0) * uy) / det
    return np.stack([x0 + t * vx, y0 + t * vy], axis=-1)


def _quads_from_lines(small: NDArray[np.uint8]) -> list[tuple[NDArray[np.float32], float, str]]:
    height, width = small.shape[:2]
    edges = _colour_edges(small)
    lines = _edge_lines(edges, min_length=int(0.08 * min(height, width)))
    count = len(lines)
    if count < 4:
        return []
    theta = np.arctan2(lines[:, 3], lines[:, 2]) % np.pi
    turn = np.abs((theta[:, None] - theta[None, :] + np.pi / 2) % np.pi - np.pi / 2)
    # distance of line j's anchor point from line i
    gap = np.abs(
        (lines[None, :, 0] - lines[:, None, 0]) * lines[:, None, 3]
        - (lines[None, :, 1] - lines[:, None, 1]) * lines[:, None, 2]
    )
    first, second = np.triu_indices(count, 1)
    parallel = (turn[first, second] < np.radians(_PARALLEL_DEG)) & (
        gap[first, second] > 0.15 * min(height, width)
    )
    pairs = np.stack([first[parallel], second[parallel]], axis=1)
    one, other = np.triu_indices(len(pairs), 1)
    i, j, k, m = pairs[one, 0], pairs[one, 1], pairs[other, 0], pairs[other, 1]
    crossing = (turn[i, k] > np.radians(_CROSSING_DEG)) & (i != k) & (i != m) & (j != k) & (j != m)
    i, j, k, m = i[crossing], j[crossing], k[crossing], m[crossing]
    if len(i) == 0:
        return []
    quads = np.stack([_crossings(lines, a, b) for a, b in ((i, k), (k, j), (j, m), (m, i))], axis=1)
    margin = 0.05 * max(height, width)
    xs, ys = quads[..., 0], quads[..., 1]
    near_frame = ((xs > -margin) & (ys > -margin) & (xs < width + margin) & (ys < height + margin)).all(
        axis=1
    )
    shoelace = (xs * np.roll(ys, -1, axis=1) - np.roll(xs, -1, axis=1) * ys).sum(axis=1)
    share = 0.5 * np.abs(shoelace) / (height * width)
    sides = np.linalg.norm(quads - np.roll(quads, -1, axis=1), axis=2)
    along, across = (sides[:, 0] + sides[:, 2]) / 2, (sides[:, 1] + sides[:, 3]) / 2
    aspect = np.maximum(along, across) / np.maximum(np.minimum(along, across), 1e-6)
    aspect_fit = 1.0 - np.abs(np.log(aspect / CARD_ASPECT)) / 0.25
    plausible = near_frame & (share > 0.05) & (share < 0.97) & (aspect_fit > 0.2)
    if not plausible.any():
        return []
    quads, share, aspect_fit = quads[plausible], share[plausible], aspect_fit[plausible]
    edge_mask = cv2.dilate(edges, np.ones((3, 3), np.uint8)) > 0
    # In a busy texture any line lies on edges by chance: count only support above that chance.
    chance = float(edge_mask.mean())
    if chance > _MAX_EDGE_DENSITY:
        return []
    support = np.clip((_side_support(edge_mask, quads) - chance) / max(1e-6, 1.0 - chance), 0.0, 1.0)
    score = aspect_fit * support.mean(axis=1) * np.sqrt(support.min(axis=1)) * (0.5 + np.minimum(share, 0.6))
    score[support.min(axis=1) < _MIN_SIDE_SUPPORT] = 0.0
    best = int(np.argmax(score))
    if score[best] <= 0:
        return []
    found = [(quads[best].astype(np.float32), float(score[best]), "lines")]
    contenders = (
        int(index) for index in np.argsort(-score) if score[index] >= _RUNNER_UP_SCORE * score[best]
    )
    runner_up = next((i for i in contenders if _overlap(quads[best], quads[i]) < _RUNNER_UP_OVERLAP), None)
    if runner_up is not None:
        found.append((quads[runner_up].astype(np.float32), float(score[runner_up]), "lines"))
    return found


def _overlap(first: NDArray[np.float64], second: NDArray[np.float64]) -> float:
    """Intersection over union of two convex quadrilaterals."""
    a, b = first.astype(np.float32), second.astype(np.float32)
    if not (cv2.isContourConvex(a) and cv2.isContourConvex(b)):
        return 1.0
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = float(cv2.contourArea(a)) + float(cv2.contourArea(b)) - float(inter)
    return float(inter) / union if union > 0 else 1.0


def _side_support(edge_mask: NDArray[np.bool_], quads: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of each side's middle 80 % (rounded corners are not edges) lying on an edge: (n, 4)."""
    height, width = edge_mask.shape
    steps = np.linspace(0.1, 0.9, 24)
    start, end = quads[:, :, None, :], np.roll(quads, -1, axis=1)[:, :, None, :]
    points = start + (end - start) * steps[None, None, :, None]
    xs, ys = points[..., 0], points[..., 1]
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    rows = np.clip(np.round(ys).astype(np.intp), 0, height - 1)
    cols = np.clip(np.round(xs).astype(np.intp), 0, width - 1)
    hits: NDArray[np.float64] = (edge_mask[rows, cols] & inside).mean(axis=2)
    return hits


def _quad_from_regions(small: NDArray[np.uint8]) -> tuple[NDArray[np.float32], float, str] | None:
    image_area = float(small.shape[0] * small.shape[1])
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))

    masks: list[tuple[str, NDArray[np.uint8]]] = []
    median = float(np.median(blurred))
    edges = cv2.Canny(blurred, int(max(10, 0.5 * median)), int(min(255, 1.2 * median)))
    masks.append(("edges", np.asarray(cv2.dilate(edges, kernel, iterations=1), dtype=np.uint8)))
    # The card's face is light and its colour smooth: threshold a flattened lightness image.
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (9, 9), 0), cv2.COLOR_BGR2LAB)
    lightness = lab[:, :, 0]
    _, bright = cv2.threshold(lightness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(
        (
            "bright",
            np.asarray(cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel, iterations=3), dtype=np.uint8),
        )
    )
    # Green-tinted face (the card's background): negative a* in Lab.
    greenish = np.asarray(((lab[:, :, 1] < 124) & (lightness > 90)).astype(np.uint8) * 255, dtype=np.uint8)
    masks.append(
        (
            "green",
            np.asarray(cv2.morphologyEx(greenish, cv2.MORPH_CLOSE, kernel, iterations=4), dtype=np.uint8),
        )
    )

    best: tuple[NDArray[np.float32], float, str] | None = None
    for source, mask in masks:
        for quad, area in _quads_from_mask(mask):
            score = _quad_score(quad, area, image_area)
            if score > 0 and (best is None or score > best[1]):
                best = (quad, score, source)
    return best


def rectify_matrix(corners: NDArray[np.float32]) -> NDArray[np.float64]:
    """Perspective transform taking ``corners`` (tl, tr, br, bl) to the card's frame."""
    target = np.array(
        [[0, 0], [CARD_WIDTH - 1, 0], [CARD_WIDTH - 1, CARD_HEIGHT - 1], [0, CARD_HEIGHT - 1]],
        dtype=np.float32,
    )
    return np.asarray(cv2.getPerspectiveTransform(corners.astype(np.float32), target), dtype=np.float64)


def rectify(image: NDArray[np.uint8], matrix: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Warp ``image`` through ``matrix`` to CARD_WIDTH x CARD_HEIGHT (landscape; maybe upside down)."""
    warped = cv2.warpPerspective(
        image, matrix, (CARD_WIDTH, CARD_HEIGHT), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(warped, dtype=np.uint8)
