"""The recognizer: image bytes in, the contract's answer out.

Steps: safe decode → find and rectify the card → detect text once on the rectified card →
decide 0/180 from the line classifier → recognise the lines → pair values with labels →
check the card's rules → answer. A field that is not read with confidence, or a rule that
fails, turns the answer into a FAIL: a wrong OK is worse than a FAIL.
"""

from __future__ import annotations

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
from cnic_ocr.recognizer.fields import (
    MAX_RIVAL_PROBABILITY,
    MIN_CHAR_CONFIDENCE,
    MIN_MEAN_CONFIDENCE,
    Extraction,
    FieldReading,
    OcrLine,
    extract,
    find_labels,
)
from cnic_ocr.recognizer.geometry import CARD_HEIGHT, CARD_WIDTH, find_cards, rectify, rectify_matrix
from cnic_ocr.recognizer.imageio import ImageIntakeError, IntakeProblem, decode_image
from cnic_ocr.recognizer.layout import LABEL_ANCHORS, VALUE_REGIONS, Label
from cnic_ocr.recognizer.views import (
    box_lines,
    fit_view_to_card,
    label_anchor,
    lines_in_card,
    rotate_boxes_180,
    text_angles,
    text_blocks,
    whole_frame_if_card_shaped,
)

#: Images are processed at most this large (long side); cards stay well above 1000 px.
MAX_WORK_SIDE = 2000
#: A CNIC front shows at least this many of its labels (one of them a CNIC-only label).
MIN_LABELS_FOR_FRONT = 3
#: Text blocks tried as the card when no outline was found (each costs a detection and a read).
MAX_TEXT_CANDIDATES = 2
#: A card's centre column holds about 20 lines; many more means a page of text, not a card.
MAX_FIELD_ZONE_LINES = 36
#: An outline read to this many lines without a CNIC-only label is another document.
LEGIBLE_DOCUMENT_LINES = 10
#: A field that a trusted field confirms through the card's rules (gender by the number's
#: parity, issue and expiry by the validity period) needs only this mean confidence: a misread
#: that happens to agree with an independent reading is far less likely than the misread.
CORROBORATED_MIN_CONFIDENCE = 0.6
#: Fields with no format that would show a value cut short ("Ali Raz" is a name too).
FREE_TEXT_FIELDS = frozenset({"name", "fatherName", "country"})
#: A re-read whose last character ends this close to its region's right edge may be cut off.
REGION_EDGE = 0.97
#: Labels no other common document prints.
CNIC_ONLY_LABELS = frozenset({Label.IDENTITY_NUMBER, Label.COUNTRY})
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

    @property
    def strength(self) -> tuple[int, int]:
        return len(self.extraction.fields), len(self.extraction.labels)


@dataclass
class Trace:
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + (now - since) * 1000, 1)
        return now


def _trusted(reading: FieldReading) -> bool:
    return (
        reading.score >= MIN_MEAN_CONFIDENCE
        and reading.weakest >= MIN_CHAR_CONFIDENCE
        and reading.rival < MAX_RIVAL_PROBABILITY
        and not reading.echoed_rival
    )


def _trusted_when_corroborated(reading: FieldReading) -> bool:
    return reading.score >= CORROBORATED_MIN_CONFIDENCE


def _in_field_zone(box: TextBox, width: int, height: int) -> bool:
    """Whether a line's centre lies in the card's centre column, under the header."""
    x, y = box.points.mean(axis=0)
    return bool(FIELD_ZONE[0] * width < x < FIELD_ZONE[2] * width and y > FIELD_ZONE[1] * height)


def _in_header_band(box: TextBox, height: int) -> bool:
    return bool(box.points[:, 1].mean() < FIELD_ZONE[1] * height)


def _is_horizontal(box: TextBox) -> bool:
    return bool(np.ptp(box.points[:, 0]) > 0.6 * np.ptp(box.points[:, 1]))


def _rotation_of(corners: NDArray[np.float32]) -> float:
    edge = corners[1] - corners[0]
    return math.degrees(math.atan2(float(edge[1]), float(edge[0])))


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
            decoded = decode_image(data, max_side=MAX_WORK_SIDE)
        except ImageIntakeError as exc:
            return error_body(_INTAKE_STATUS[exc.problem])
        trace.lap("decode_ms", trace.started)
        image = self._work_size(decoded.pixels)
        reading = self._read(image, trace)
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

    def _read(self, image: NDArray[np.uint8], trace: Trace) -> CardReading:
        mark = time.perf_counter()
        outlines, frame = find_cards(image), whole_frame_if_card_shaped(image)
        # A scan cropped to the card: its frame beats a smaller box found inside it (the photo).
        if frame and (not outlines or outlines[0].share < 0.5):
            ordered = [frame, *outlines]
        else:
            ordered = [*outlines, *([frame] if frame else [])]
        trace.lap("locate_ms", mark)
        best = CardReading(Extraction(), 0.0, "none", 0)
        for quad in ordered:
            reading = self._read_view(image, quad.corners, quad.source, trace)
            if self._is_complete(reading):
                return reading
            best = max(best, reading, key=lambda r: r.strength)
        labels = best.extraction.labels.keys()
        if ordered and not CNIC_ONLY_LABELS & labels and (not labels or best.lines >= LEGIBLE_DOCUMENT_LINES):
            # Card-shaped outlines that show none of the front's labels, or a well-read document
            # without the CNIC's own labels (the back, a licence, a passport): not a front, and
            # finding text elsewhere in the photo would only cost time.
            return best
        # No outline, or one that cuts the card: find the card by its text in the whole photo.
        return max(best, self._read_by_text(image, trace), key=lambda r: r.strength)

    def _is_complete(self, reading: CardReading) -> bool:
        found = reading.extraction.fields
        return self._looks_like_front(reading.extraction) and all(key in found for key in FIELD_ORDER)

    @staticmethod
    def _looks_like_front(extraction: Extraction) -> bool:
        """Enough labels, one of them a CNIC's own (licences and passports share the others)."""
        labels = extraction.labels.keys()
        return len(labels) >= MIN_LABELS_FOR_FRONT and bool(CNIC_ONLY_LABELS & labels)

    def _read_by_text(self, image: NDArray[np.uint8], trace: Trace) -> CardReading:
        mark = time.perf_counter()
        boxes = self.engine.detect(image, whole_scene=True)
        trace.lap("scene_detect_ms", mark)
        best = CardReading(Extraction(), 0.0, "text", 0)
        size = (image.shape[1], image.shape[0])
        blocks = [block for angle in text_angles(boxes) for block in text_blocks(boxes, angle, size)]
        for block in sorted(blocks, key=lambda b: -b.score)[:MAX_TEXT_CANDIDATES]:
            reading = self._read_view(image, block.corners, "text", trace)
            if self._looks_like_front(reading.extraction):
                return reading
            best = max(best, reading, key=lambda r: r.strength)
        return best

    def _read_view(
        self, image: NDArray[np.uint8], corners: NDArray[np.float32], locator: str, trace: Trace
    ) -> CardReading:
        """Read the card seen through ``corners`` of ``image`` (its outline, or a guess)."""
        mark = time.perf_counter()
        to_view = rectify_matrix(corners)
        view = rectify(image, to_view)
        rotation = _rotation_of(corners)
        boxes = self.engine.detect(view)
        mark = trace.lap("detect_ms", mark)
        height, width = view.shape[:2]
        horizontal = [b for b in boxes if _is_horizontal(b)]
        widest = sorted(horizontal, key=lambda b: -float(np.ptp(b.points[:, 0])))[:8]
        upright, flipped = self.engine.upside_down_votes([crop_quad(view, b.points) for b in widest])
        if flipped > upright:
            view = np.ascontiguousarray(np.rot90(view, 2))
            horizontal = rotate_boxes_180(horizontal, width, height)
            to_view = np.array([[-1.0, 0.0, width - 1], [0.0, -1.0, height - 1], [0.0, 0.0, 1.0]]) @ to_view
            rotation += 180
        mark = trace.lap("orient_ms", mark)

        # The fields live in the centre column: read it first; the header band only when some
        # but too few labels were found, to tell "not a card" from "unreadable" by the title.
        first = [b for b in horizontal if _in_field_zone(b, width, height)]
        if len(first) > MAX_FIELD_ZONE_LINES:
            trace.lap("read_ms", mark)
            return CardReading(Extraction(), rotation % 360, locator, 0)
        lines = self._read_lines(view, first)
        if 0 < len(find_labels(lines)) < MIN_LABELS_FOR_FRONT:
            lines += self._read_lines(view, [b for b in horizontal if _in_header_band(b, height)])
        matrix = fit_view_to_card(find_labels(lines), width, height)
        if matrix is None:  # trust the outline: view pixels scale to card pixels
            matrix = np.diag([CARD_WIDTH / width, CARD_HEIGHT / height, 1.0])
        card_lines = lines_in_card(lines, matrix, width, height)
        extraction = extract(card_lines)
        mark = trace.lap("read_ms", mark)
        missing = [key for key in FIELD_ORDER if key not in extraction.fields]
        if missing and self._looks_like_front(extraction):
            # Warp from the photo, not the view: the outline may have cut part of the card off.
            card = rectify(image, matrix @ to_view)
            card_lines += self._reread_regions(card, extraction, missing)
            extraction = extract(card_lines)
            trace.lap("reread_ms", mark)
        return CardReading(extraction, rotation % 360, locator, len(card_lines))

    def _read_lines(self, view: NDArray[np.uint8], boxes: list[TextBox]) -> list[OcrLine]:
        height, width = view.shape[:2]
        texts = self.engine.read([crop_quad(view, b.points, pad=0.08) for b in boxes])
        return box_lines(boxes, texts, width, height)

    def _reread_regions(
        self, card: NDArray[np.uint8], extraction: Extraction, missing: list[str]
    ) -> list[OcrLine]:
        """Read where missing values are printed: a lone letter (gender) often escapes detection."""
        regions = []
        for key in missing:
            region = VALUE_REGIONS[key]
            label = extraction.labels.get(region.label)
            regions.append(region.box(label_anchor(label) if label else LABEL_ANCHORS[region.label]))
        crops = []
        for x0, y0, x1, y1 in regions:
            left, top = max(0, int(x0 * CARD_WIDTH)), max(0, int(y0 * CARD_HEIGHT))
            right, bottom = min(CARD_WIDTH, int(x1 * CARD_WIDTH)), min(CARD_HEIGHT, int(y1 * CARD_HEIGHT))
            crops.append(np.ascontiguousarray(card[top : max(bottom, top + 2), left : max(right, left + 2)]))
        texts = self.engine.read(crops)
        lines = []
        for key, text, box in zip(missing, texts, regions, strict=True):
            if key in FREE_TEXT_FIELDS and text.end >= REGION_EDGE:
                continue  # a name read up to the region's edge may go on past it: cut short
            lines.append(OcrLine(text.text, text.score, box, text.weakest, text.caseless, text.rivals))
        return lines

    def _answer(self, reading: CardReading) -> dict[str, Any]:
        extraction = reading.extraction
        if not self._looks_like_front(extraction):
            # A CNIC front too poor to read still shows its title or one of its own labels.
            labels = extraction.labels.keys()
            titled = "nationalidentitycard" in extraction.front_markers or bool(CNIC_ONLY_LABELS & labels)
            if not (titled and labels):
                return error_body(OcrStatus.FAIL, MSG_NOT_IDENTITY_CARD)
            return error_body(OcrStatus.FAIL)
        found = extraction.fields
        if any(key not in found for key in FIELD_ORDER):
            return error_body(OcrStatus.FAIL)
        corroborated = self._corroborated(extraction)
        for key in FIELD_ORDER:
            check = _trusted_when_corroborated if key in corroborated else _trusted
            if not check(found[key]):
                return error_body(OcrStatus.FAIL)
        if not all(check.passed for check in self._checks(extraction)):
            return error_body(OcrStatus.FAIL)
        return ok_body(CnicFields.model_validate({key: found[key].value for key in FIELD_ORDER}))

    @staticmethod
    def _corroborated(extraction: Extraction) -> set[str]:
        """Fields confirmed by a trusted field through the card's rules."""
        found, dates = extraction.fields, extraction.parsed_dates
        confirmed = set()
        number, gender = found.get("idNumber"), found.get("gender")
        if (
            number
            and gender
            and _trusted(number)
            and gender.value in ("M", "F")
            and rules.check_gender_parity(number.value, gender.value).passed
        ):
            confirmed.add("gender")
        issue, expiry = dates.get("issueDay"), dates.get("expiryDay")
        issue_read, expiry_read = found.get("issueDay"), found.get("expiryDay")
        if issue and expiry and issue_read and expiry_read and rules.check_validity(issue, expiry).passed:
            if _trusted(expiry_read):
                confirmed.add("issueDay")
            if _trusted(issue_read):
                confirmed.add("expiryDay")
        return confirmed

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
                key: {
                    "confidence": round(reading_.score, 4),
                    "weakestCharacter": round(reading_.weakest, 4),
                    "rival": round(reading_.rival, 4),
                    "echoedRival": round(reading_.echoed_rival, 4),
                    "source": reading_.source,
                }
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
