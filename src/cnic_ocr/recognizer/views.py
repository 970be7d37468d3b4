"""Geometry of a view of the card: text boxes → lines, and the view → card homography.

A *view* is an image in which the card's text runs roughly left to right: the rectified
outline, the whole frame, or a deskewed photo. Labels read in the view are matched to the
layout's anchors to map every line into the card's own frame (shares of width and height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from cnic_ocr.recognizer.engine import ReadText, TextBox
from cnic_ocr.recognizer.fields import OcrLine
from cnic_ocr.recognizer.geometry import CARD_ASPECT, CARD_HEIGHT, CARD_WIDTH, CardQuad, order_corners
from cnic_ocr.recognizer.layout import LABEL_ANCHORS, RIGHT_COLUMN_X, Label

Matrix = NDArray[np.float64]

#: RANSAC tolerance for label anchors, in card pixels (labels' left ends are sharp, ±1-2 % jitter).
ANCHOR_TOLERANCE = 0.03 * CARD_WIDTH


def box_lines(boxes: list[TextBox], texts: list[ReadText], width: int, height: int) -> list[OcrLine]:
    """Lines with boxes as shares of the view's size."""
    lines = []
    for box, read in zip(boxes, texts, strict=True):
        xs, ys = box.points[:, 0], box.points[:, 1]
        lines.append(
            OcrLine(
                text=read.text,
                score=read.score,
                weakest=read.weakest,
                caseless=read.caseless,
                rivals=read.rivals,
                box=(
                    float(xs.min()) / width,
                    float(ys.min()) / height,
                    float(xs.max()) / width,
                    float(ys.max()) / height,
                ),
            )
        )
    return lines


def rotate_boxes_180(boxes: list[TextBox], width: int, height: int) -> list[TextBox]:
    flipped = []
    for box in boxes:
        pts = np.array([[width - 1, height - 1]], dtype=np.float32) - box.points
        flipped.append(TextBox(points=np.roll(pts, 2, axis=0), score=box.score))
    return flipped


def whole_frame_if_card_shaped(image: NDArray[np.uint8]) -> CardQuad | None:
    """A scan cropped to the card has no outline to find: the frame itself is the card."""
    height, width = image.shape[:2]
    aspect = max(width, height) / min(width, height)
    if abs(math.log(aspect / CARD_ASPECT)) > 0.06:
        return None
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    return CardQuad(corners=order_corners(corners), score=0.0, source="frame", share=1.0)


def text_angles(boxes: list[TextBox], most: int = 2) -> list[float]:
    """The baseline angles (degrees, in [-90, 90)) that most text runs at, strongest first.

    A photo holds the card and often papers lying askew: each gives its own angle. Lines
    within 6 degrees of each other form one group; a group weighs its lines' lengths.
    """
    lines = []
    for box in boxes:
        angle = box_angle(box)
        if angle is not None:
            lines.append(
                (angle, float(cv2.minAreaRect(box.points)[1][0] + cv2.minAreaRect(box.points)[1][1]))
            )
    groups: list[tuple[float, float, list[tuple[float, float]]]] = []
    for angle, length in sorted(lines, key=lambda item: -item[1]):
        for index, (centre, weight, members) in enumerate(groups):
            if abs(((angle - centre) + 90) % 180 - 90) < 6:
                members.append((angle, length))
                groups[index] = (centre, weight + length, members)
                break
        else:
            groups.append((angle, length, [(angle, length)]))
    groups.sort(key=lambda group: -group[1])
    return [_mean_angle(members) for _, _, members in groups[:most]]


def _mean_angle(members: list[tuple[float, float]]) -> float:
    # weighted circular mean on the doubled angle (a line has no direction)
    sin = sum(w * math.sin(math.radians(2 * a)) for a, w in members)
    cos = sum(w * math.cos(math.radians(2 * a)) for a, w in members)
    return math.degrees(math.atan2(sin, cos)) / 2


def label_anchor(line: OcrLine) -> tuple[float, float]:
    return line.box[0], (line.box[1] + line.box[3]) / 2


def fit_view_to_card(labels: dict[Label, OcrLine], width: int, height: int) -> Matrix | None:
    """Homography from view pixels to card pixels, from the labels' anchors; None if unsure.

    Both label columns are needed for a full homography (one column is a line); with one
    column, or three labels, a similarity (rotation, scale, shift) is fitted instead.
    """
    if len(labels) < 2:
        return None
    source = np.array(
        [[x * width, y * height] for x, y in map(label_anchor, labels.values())], dtype=np.float64
    )
    target = np.array(
        [[LABEL_ANCHORS[label][0] * CARD_WIDTH, LABEL_ANCHORS[label][1] * CARD_HEIGHT] for label in labels],
        dtype=np.float64,
    )
    columns = {LABEL_ANCHORS[label][0] >= RIGHT_COLUMN_X for label in labels}
    if len(labels) >= 5 and len(columns) == 2:
        matrix, inliers = cv2.findHomography(source, target, cv2.RANSAC, ANCHOR_TOLERANCE)
        if matrix is not None and int(inliers.sum()) >= 4:
            homography = np.asarray(matrix, dtype=np.float64)
            if _plausible(homography, width, height):
                return homography
    partial, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=ANCHOR_TOLERANCE
    )
    if partial is None or int(inliers.sum()) < 2:
        return None
    similarity = np.vstack([np.asarray(partial, dtype=np.float64), [0.0, 0.0, 1.0]])
    return similarity if _plausible(similarity, width, height) else None


def _plausible(matrix: Matrix, width: int, height: int) -> bool:
    """The card's corners, mapped back into the view, make a convex quadrilateral."""
    try:
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return False
    card = np.array(
        [[[0, 0], [CARD_WIDTH, 0], [CARD_WIDTH, CARD_HEIGHT], [0, CARD_HEIGHT]]], dtype=np.float64
    )
    corners = cv2.perspectiveTransform(card, inverse)[0]
    if not np.all(np.isfinite(corners)):
        return False
    area = float(cv2.contourArea(corners.astype(np.float32)))
    return cv2.isContourConvex(corners.astype(np.float32)) and area > 0.01 * width * height


def lines_in_card(lines: list[OcrLine], matrix: Matrix, width: int, height: int) -> list[OcrLine]:
    """Map lines from view shares to card shares through ``matrix`` (view px → card px)."""
    mapped = []
    for line in lines:
        x0, y0, x1, y1 = line.box
        left, right, top, bottom = x0 * width, x1 * width, y0 * height, y1 * height
        corners = np.array([[[left, top], [right, top], [right, bottom], [left, bottom]]], dtype=np.float64)
        card = cv2.perspectiveTransform(corners, matrix)[0]
        xs, ys = card[:, 0] / CARD_WIDTH, card[:, 1] / CARD_HEIGHT
        box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        mapped.append(replace(line, box=box))
    return mapped


def box_angle(box: TextBox) -> float | None:
    """Baseline angle of a text box in [-90, 90), or None for boxes too short to tell."""
    (_, _), (w, h), angle = cv2.minAreaRect(box.points)
    if w < h:
        w, h, angle = h, w, angle + 90
    if w < 2 * h:
        return None
    return ((angle + 90) % 180) - 90


@dataclass(frozen=True)
class TextBlock:
    """A block of text lines that may be the card: its padded corners and how card-like it is."""

    corners: NDArray[np.float32]  # tl, tr, br, bl along the text direction
    score: float  # text area x how close the block's aspect is to the card's


def text_blocks(boxes: list[TextBox], angle: float, image_size: tuple[int, int]) -> list[TextBlock]:
    """The blocks of text lines that run at ``angle``, padded by the card's margins.

    Lines at other angles (receipts and papers askew around the card) drop out; neighbours
    join into blocks. The card's text fills it edge to edge, so its block has the card's
    landscape aspect: a paper lying at the same angle (a tall receipt) scores lower.
    """
    width, height = image_size
    aligned = []
    for box in boxes:
        own = box_angle(box)
        if own is not None and abs(((own - angle) + 90) % 180 - 90) < 6:
            aligned.append(box.points)
    if len(aligned) < 3:
        return []
    scale = 400 / max(width, height)
    canvas = np.zeros((max(1, int(height * scale)), max(1, int(width * scale))), dtype=np.uint8)
    for points in aligned:
        cv2.fillPoly(canvas, [np.round(points * scale).astype(np.int32)], 255)
    reach = max(3, int(0.04 * max(canvas.shape)))
    joined = cv2.dilate(canvas, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    count, components = cv2.connectedComponents(joined)
    members: dict[int, list[NDArray[np.float32]]] = {}
    for points in aligned:
        cx, cy = (points.mean(axis=0) * scale).astype(int)
        cx, cy = min(cx, canvas.shape[1] - 1), min(cy, canvas.shape[0] - 1)
        members.setdefault(int(components[cy, cx]), []).append(points)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    back = cv2.invertAffineTransform(turn)
    blocks = []
    for block in members.values():
        if count < 2 or len(block) < 3:
            continue
        upright = cv2.transform(np.concatenate(block).reshape(-1, 1, 2), turn).reshape(-1, 2)
        (x0, y0), (x1, y1) = upright.min(axis=0), upright.max(axis=0)
        pad_x, pad_y = 0.04 * (x1 - x0), 0.05 * (y1 - y0)
        left, top, right, bottom = x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y
        rect = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float32)
        in_image = cv2.transform(rect.reshape(-1, 1, 2), back).reshape(4, 2)
        aspect = max(right - left, 1.0) / max(bottom - top, 1.0)
        aspect_fit = max(0.1, 1.0 - abs(math.log(aspect / CARD_ASPECT)) / 0.6)
        area = sum(float(cv2.contourArea(p)) for p in block)
        blocks.append(TextBlock(np.asarray(in_image, dtype=np.float32), area * aspect_fit))
    return blocks
