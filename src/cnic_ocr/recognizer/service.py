"""The recognizer: image bytes in, the contract's answer out.

Steps: safe decode → find and rectify the card → detect text once on the rectified card →
decide 0/180 from the line classifier → recognise the lines → pair values with labels →
check the card's rules → answer. A field that is not read with confidence, or a rule that
fails, turns the answer into a FAIL: a wrong OK is worse than a FAIL.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from cnic_ocr.contract import (
    MSG_NOT_IDENTITY_CARD,
    CnicFields,
    OcrStatus,
    error_body,
    ok_body,
)
from cnic_ocr.recognizer import rules
from cnic_ocr.recognizer.engine import OcrEngine, TextBox, crop_quad
from cnic_ocr.recognizer.fields import MIN_VALUE_SCORE, Extraction, OcrLine, extract
from cnic_ocr.recognizer.geometry import (
    CARD_ASPECT,
    CARD_HEIGHT,
    CARD_WIDTH,
    CardQuad,
    find_card,
    order_corners,
    rectify,
)
from cnic_ocr.recognizer.imageio import ImageIntakeError, IntakeProblem, decode_image

logger = logging.getLogger(__name__)

#: Images are processed at most this large (long side); cards stay well above 1000 px.
MAX_WORK_SIDE = 2000
#: A read with fewer front labels than this and no header words is "not identity card".
MIN_LABELS_FOR_FRONT = 3
#: (x0, y0, x1) shares of the card where the labels and values are printed.
FIELD_ZONE = (0.17, 0.14, 0.74)
FIELD_ORDER = ("idNumber", "name", "fatherName", "gender", "country", "birthDay", "issueDay", "expiryDay")

_INTAKE_STATUS = {
    IntakeProblem.EMPTY: OcrStatus.INVALID_REQUEST,
    IntakeProblem.UNSUPPORTED_FORMAT: OcrStatus.IMAGE_INVALID_FORMAT,
    IntakeProblem.CORRUPT: OcrStatus.IMAGE_INVALID_FORMAT,
    IntakeProblem.TOO_LARGE: OcrStatus.IMAGE_INVALID_SIZE,
    IntakeProblem.TOO_MANY_PIXELS: OcrStatus.IMAGE_INVALID_SIZE,
}


@dataclass
class CardReading:
    extraction: Extraction
    rotation: float  # degrees the card is turned in the photo (clockwise)
    locator: str
    lines: int


@dataclass
class Trace:
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round((now - since) * 1000, 1)
        return now


def _to_lines(boxes: list[TextBox], texts: list[tuple[str, float]]) -> list[OcrLine]:
    lines = []
    for box, (text, score) in zip(boxes, texts, strict=True):
        xs, ys = box.points[:, 0], box.points[:, 1]
        lines.append(
            OcrLine(
                text=text,
                score=score,
                box=(
                    float(xs.min()) / CARD_WIDTH,
                    float(ys.min()) / CARD_HEIGHT,
                    float(xs.max()) / CARD_WIDTH,
                    float(ys.max()) / CARD_HEIGHT,
                ),
            )
        )
    return lines


def _rotate_boxes_180(boxes: list[TextBox]) -> list[TextBox]:
    flipped = []
    for box in boxes:
        pts = np.array([[CARD_WIDTH - 1, CARD_HEIGHT - 1]], dtype=np.float32) - box.points
        flipped.append(TextBox(points=np.roll(pts, 2, axis=0), score=box.score))
    return flipped


def _in_field_zone(box: TextBox) -> bool:
    """Whether a line's centre lies in the card's centre column, under the header."""
    x, y = box.points.mean(axis=0)
    return bool(
        FIELD_ZONE[0] * CARD_WIDTH < x < FIELD_ZONE[2] * CARD_WIDTH and y > FIELD_ZONE[1] * CARD_HEIGHT
    )


def _whole_frame_if_card_shaped(image: NDArray[np.uint8]) -> CardQuad | None:
    """A scan cropped to the card has no outline to find: the frame itself is the card."""
    height, width = image.shape[:2]
    aspect = max(width, height) / min(width, height)
    if abs(math.log(aspect / CARD_ASPECT)) > 0.06:
        return None
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    return CardQuad(corners=order_corners(corners), score=0.0, source="frame", share=1.0)


def _dominant_text_angle(boxes: list[TextBox]) -> float:
    """Angle (degrees, in [-90, 90)) of the longest text lines' baselines."""
    weighted: list[tuple[float, float]] = []
    for box in boxes:
        (_, _), (w, h), angle = cv2.minAreaRect(box.points)
        if w < h:
            w, h, angle = h, w, angle + 90
        if w > 2 * h:
            weighted.append((((angle + 90) % 180) - 90, w))
    if not weighted:
        return 0.0
    # weighted circular mean on the doubled angle (lines are direction-less)
    sin = sum(w * math.sin(math.radians(2 * a)) for a, w in weighted)
    cos = sum(w * math.cos(math.radians(2 * a)) for a, w in weighted)
    return math.degrees(math.atan2(sin, cos)) / 2


class Recognizer:
    """Reads the front of a CNIC. One per process: the models load in ``__init__``."""

    def __init__(self, engine: OcrEngine | None = None, today: Callable[[], date] = date.today) -> None:
        self.engine = engine or OcrEngine()
        self._today = today

    @property
    def load_seconds(self) -> float:
        return self.engine.load_seconds

    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
        trace = Trace()
        try:
            decoded = decode_image(data)
        except ImageIntakeError as exc:
            return error_body(_INTAKE_STATUS[exc.problem])
        mark = trace.lap("decode_ms", trace.started)
        image = self._work_size(decoded.pixels)
        reading = self._read(image, trace, mark)
        body = self._answer(reading)
        if details:
            trace.timings["total_ms"] = round((time.perf_counter() - trace.started) * 1000, 1)
            body["details"] = self._details(reading, trace)
        return body

    @staticmethod
    def _work_size(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = image.shape[:2]
        scale = MAX_WORK_SIDE / max(height, width)
        if scale >= 1:
            return image
        size = (round(width * scale), round(height * scale))
        return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)

    def _read(self, image: NDArray[np.uint8], trace: Trace, mark: float) -> CardReading:
        outline, frame = find_card(image), _whole_frame_if_card_shaped(image)
        # A scan cropped to the card: its frame beats a smaller box found inside it (the photo).
        ordered = (frame, outline) if frame and (outline is None or outline.share < 0.5) else (outline, frame)
        candidates = [quad for quad in ordered if quad]
        mark = trace.lap("locate_ms", mark)
        reading: CardReading | None = None
        for quad in candidates:
            card = rectify(image, quad.corners)
            edge = quad.corners[1] - quad.corners[0]
            rotation = math.degrees(math.atan2(float(edge[1]), float(edge[0])))
            attempt = self._read_card(card, rotation, quad.source, trace, mark)
            if self._looks_like_front(attempt.extraction):
                return attempt
            if reading is None or len(attempt.extraction.labels) > len(reading.extraction.labels):
                reading = attempt
            mark = time.perf_counter()
        # No card outline (or it was not the card): locate the card by its text instead.
        fallback = self._read_by_text(image, trace, mark)
        if reading is None or len(fallback.extraction.labels) > len(reading.extraction.labels):
            return fallback
        return reading

    @staticmethod
    def _looks_like_front(extraction: Extraction) -> bool:
        return len(extraction.labels) >= MIN_LABELS_FOR_FRONT

    def _read_by_text(self, image: NDArray[np.uint8], trace: Trace, mark: float) -> CardReading:
        boxes = self.engine.detect(image)
        if len(boxes) < 3:
            trace.lap("text_locate_ms", mark)
            return CardReading(Extraction(), 0.0, "text", 0)
        angle = _dominant_text_angle(boxes)
        points = np.concatenate([box.points for box in boxes])
        centre = points.mean(axis=0)
        matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)
        rotated = cv2.transform(points.reshape(-1, 1, 2), matrix).reshape(-1, 2)
        x0, y0 = rotated.min(axis=0)
        x1, y1 = rotated.max(axis=0)
        # Text spans most of the card: pad to the card's edges, then back to image coordinates.
        pad_x, pad_y = 0.04 * (x1 - x0), 0.06 * (y1 - y0)
        rect = np.array(
            [
                [x0 - pad_x, y0 - pad_y],
                [x1 + pad_x, y0 - pad_y],
                [x1 + pad_x, y1 + pad_y],
                [x0 - pad_x, y1 + pad_y],
            ],
            dtype=np.float32,
        )
        inverse = cv2.invertAffineTransform(matrix)
        corners = cv2.transform(rect.reshape(-1, 1, 2), inverse).reshape(4, 2).astype(np.float32)
        card = rectify(image, corners)
        edge = corners[1] - corners[0]
        rotation = math.degrees(math.atan2(float(edge[1]), float(edge[0])))
        mark = trace.lap("text_locate_ms", mark)
        return self._read_card(card, rotation, "text", trace, mark)

    def _read_card(
        self, card: NDArray[np.uint8], rotation: float, locator: str, trace: Trace, mark: float
    ) -> CardReading:
        boxes = self.engine.detect(card)
        mark = trace.lap("detect_ms", mark)
        lines_boxes = sorted(
            (b for b in boxes if np.ptp(b.points[:, 0]) > 1.5 * np.ptp(b.points[:, 1])),
            key=lambda b: -float(np.ptp(b.points[:, 0])),
        )
        probe = [crop_quad(card, b.points) for b in lines_boxes[:8]]
        upright, flipped = self.engine.upside_down_votes(probe)
        if flipped > upright:
            card = np.ascontiguousarray(np.rot90(card, 2))
            boxes = _rotate_boxes_180(boxes)
            rotation += 180
        mark = trace.lap("orient_ms", mark)
        horizontal = [b for b in boxes if np.ptp(b.points[:, 0]) > 0.6 * np.ptp(b.points[:, 1])]
        # The fields live in the centre column: read it first; the rest (header, signature) is
        # read only when the labels were not found, to tell "not a card" from "unreadable".
        centre = [b for b in horizontal if _in_field_zone(b)]
        lines = self._read_lines(card, centre)
        extraction = extract(lines)
        if not self._looks_like_front(extraction):
            lines += self._read_lines(card, [b for b in horizontal if not _in_field_zone(b)])
            extraction = extract(lines)
        trace.lap("read_ms", mark)
        return CardReading(extraction, rotation % 360, locator, len(lines))

    def _read_lines(self, card: NDArray[np.uint8], boxes: list[TextBox]) -> list[OcrLine]:
        texts = self.engine.read([crop_quad(card, b.points, pad=0.08) for b in boxes])
        return _to_lines(boxes, [(t.text, t.score) for t in texts])

    def _answer(self, reading: CardReading) -> dict[str, Any]:
        extraction = reading.extraction
        if not self._looks_like_front(extraction) and extraction.front_markers == 0:
            return error_body(OcrStatus.FAIL, MSG_NOT_IDENTITY_CARD)
        found = extraction.fields
        if any(key not in found or found[key].score < MIN_VALUE_SCORE for key in FIELD_ORDER):
            return error_body(OcrStatus.FAIL)
        if not all(check.passed for check in self._checks(extraction)):
            return error_body(OcrStatus.FAIL)
        return ok_body(CnicFields.model_validate({key: found[key].value for key in FIELD_ORDER}))

    def _checks(self, extraction: Extraction) -> list[rules.CheckResult]:
        found = extraction.fields
        checks: list[rules.CheckResult] = []
        number = found.get("idNumber")
        if number is not None:
            checks += [rules.check_number(number.value), rules.check_province(number.value)]
            gender = found.get("gender")
            if gender is not None:
                checks.append(rules.check_gender_parity(number.value, gender.value))
        dates = extraction.parsed_dates
        birth, issue = dates.get("birthDay"), dates.get("issueDay")
        expiry = dates.get("expiryDay")
        if birth and issue and (expiry or extraction.lifetime):
            checks.append(rules.check_date_order(birth, issue, expiry, self._today()))
            checks.append(rules.check_validity(issue, expiry))
        return checks

    def _details(self, reading: CardReading, trace: Trace) -> dict[str, Any]:
        extraction = reading.extraction
        rotation = reading.rotation % 360
        quarter = round(rotation / 90) % 4 * 90
        skew = ((rotation - quarter + 180) % 360) - 180
        return {
            "fields": {
                key: {"confidence": round(reading_.score, 4), "source": reading_.source}
                for key, reading_ in extraction.fields.items()
            },
            "checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail} for c in self._checks(extraction)
            ],
            "labelsFound": sorted(label.value for label in extraction.labels),
            "rotation": quarter,
            "skew": round(skew, 1),
            "locator": reading.locator,
            "linesRead": reading.lines,
            "timingsMs": trace.timings,
        }


_instance: Recognizer | None = None
_instance_lock = threading.Lock()


def get_recognizer() -> Recognizer:
    """The process-wide recognizer (models load once, at first call)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = Recognizer()
    return _instance
