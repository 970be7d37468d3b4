"""Finding the card in a photo and rectifying it to the ID-1 aspect.

Classical OpenCV: the card is a bright, low-texture rounded rectangle. Candidates come from
edges and from a brightness/colour mask; each is scored by area, how rectangular it is and
how close its aspect is to ID-1 (85.60 x 53.98 mm).
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


def find_card(image: NDArray[np.uint8]) -> CardQuad | None:
    """The most card-like quadrilateral in ``image`` (BGR), or None."""
    height, width = image.shape[:2]
    scale = _WORK_SIDE / max(height, width)
    small = cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )
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

    best: CardQuad | None = None
    for source, mask in masks:
        for quad, area in _quads_from_mask(mask):
            score = _quad_score(quad, area, image_area)
            if score > 0 and (best is None or score > best.score):
                share = float(cv2.contourArea(quad)) / image_area
                best = CardQuad(corners=order_corners(quad / scale), score=score, source=source, share=share)
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
