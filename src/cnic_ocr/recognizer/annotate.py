"""A picture of what the recognizer saw, for a user diagnosing a FAIL.

The photo (at working size) with, mapped back from the upright view: the extent of the
card's text, every line read (grey), the labels found (blue) and each field's box (green
when trusted, red when not), named.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from cnic_ocr.recognizer.fields import Extraction, OcrLine

Box = tuple[float, float, float, float]
GREY, BLUE, GREEN, RED, ORANGE = (150, 150, 150), (40, 90, 230), (20, 170, 60), (220, 40, 40), (240, 150, 0)


def annotated_png(
    photo: NDArray[np.uint8],
    to_view: NDArray[np.float64],
    lines: list[OcrLine],
    extraction: Extraction,
    trusted: set[str],
) -> bytes:
    """PNG bytes of ``photo`` (RGB) with the reading drawn over it."""
    canvas = np.ascontiguousarray(photo.copy())
    back = np.linalg.inv(to_view)
    thickness = max(1, round(max(canvas.shape[:2]) / 800))
    if lines:
        boxes = np.array([line.box for line in lines])
        extent = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
        _draw(canvas, back, extent, ORANGE, thickness)
    for line in lines:
        _draw(canvas, back, line.box, GREY, thickness)
    for label, line in extraction.labels.items():
        _draw(canvas, back, line.box, BLUE, thickness, label.value)
    for key, reading in extraction.fields.items():
        _draw(canvas, back, reading.box, GREEN if key in trusted else RED, thickness + 1, key)
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image as PNG
        raise RuntimeError("PNG encoding failed")
    return encoded.tobytes()


def _draw(
    canvas: NDArray[np.uint8],
    back: NDArray[np.float64],
    box: Box,
    colour: tuple[int, int, int],
    width: int,
    name: str = "",
) -> None:
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], dtype=np.float64) @ back.T
    points = np.round(corners[:, :2]).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [points], isClosed=True, color=colour, thickness=width)
    if name:
        origin = (int(points[:, 0, 0].min()), max(10, int(points[:, 0, 1].min()) - 3))
        scale = 0.35 * max(1, round(max(canvas.shape[:2]) / 800))
        cv2.putText(canvas, name, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)
