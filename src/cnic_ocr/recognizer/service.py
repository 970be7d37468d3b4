"""The recognizer: image bytes in, the contract's answer out.

Steps: safe decode → find the card's text and turn it upright (``scene``) → read every line →
find the fields from what was read (``fields``) → decide from all the evidence whether this is
a CNIC front → check the card's rules → answer. A field that is not read with confidence, or
a rule that fails, turns the answer into a FAIL: a wrong OK is worse than a FAIL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
from cnic_ocr.recognizer.annotate import annotated_png
from cnic_ocr.recognizer.engine import OcrEngine, ReadText, crop_quad
from cnic_ocr.recognizer.fields import (
    MAX_RIVAL_PROBABILITY,
    MIN_CHAR_CONFIDENCE,
    MIN_MEAN_CONFIDENCE,
    Extraction,
    FieldReading,
    OcrLine,
    card_extent,
    common_name,
    extract,
    gender_region,
)
from cnic_ocr.recognizer.imageio import ImageIntakeError, IntakeProblem, decode_image
from cnic_ocr.recognizer.labels import CNIC_ONLY_LABELS, TITLE
from cnic_ocr.recognizer.scene import (
    CROP_PAD,
    RETRY_STRETCH,
    ZOOM_LINE_HEIGHT,
    Matrix,
    Scene,
    SceneLine,
    angle_near,
    character_xs,
    crops_of,
    detect_text,
    find_scene,
    photo_scale,
    zoom_scene,
)
from cnic_ocr.recognizer.settings import RecognizerSettings

#: Images are processed at most this large (long side).
MAX_WORK_SIDE = 2000
#: A field that a trusted field confirms through the card's rules (gender by the number's
#: parity, issue and expiry by the validity period) needs only this mean confidence: a misread
#: that happens to agree with an independent reading is far less likely than the misread.
CORROBORATED_MIN_CONFIDENCE = 0.6
#: A box where a lone letter must be is detected again with this margin (in value heights),
#: enlarged at least this much and so its value lines are about this high (view pixels).
REGION_MARGIN = 0.3
REGION_ENLARGEMENT = 2.0
REGION_LINE_HEIGHT = 60.0
MAX_REGION_ENLARGEMENT = 4.0
#: The older card's front prints its name, gender, father's name, mark and birth date in Urdu.
MIN_SCRIPT_LINES = 3
#: A line holding this many digits outside any number or date is read again in parts.
MIXED_LINE_DIGITS = 3
LINE_WINDOWS = ((0.0, 0.6), (0.4, 1.0))
#: The long sides the photo is detected at, one view of the card each (see ``_read_views``).
DETECT_SIDES = (960, 800)
#: Angles the card is looked for at, at most (see ``_read``).
ANGLES_TRIED = 2
NAME_FIELDS = ("name", "fatherName")
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
    scene: Scene
    lines: list[OcrLine]


@dataclass
class Trace:
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + (now - since) * 1000, 1)
        return now


def _line_read(text: ReadText, box: tuple[float, float, float, float], xs: tuple[float, ...] = ()) -> OcrLine:
    """What the engine read in a crop, placed at ``box`` of the view."""
    return OcrLine(text.text, text.score, box, text.weakest, text.caseless, text.rivals, text.confidences, xs)


def _trusted(reading: FieldReading) -> bool:
    return (
        reading.score >= MIN_MEAN_CONFIDENCE
        and reading.weakest >= MIN_CHAR_CONFIDENCE
        and reading.rival < MAX_RIVAL_PROBABILITY
        and not reading.echoed_rival
        and not reading.disputed
    )


def _trusted_when_corroborated(reading: FieldReading) -> bool:
    return reading.score >= CORROBORATED_MIN_CONFIDENCE and not reading.disputed


def agreed(extractions: list[Extraction], to_photo: list[Matrix] | None = None) -> Extraction:
    """The fields of several views of one card, the first being the one read best.

    A view is the card detected at another scale: the detector's boxes, and so the crops the
    model reads, differ, and a misread seldom repeats. A value the views read alike is as
    trusted as its best reading; a field one view missed is the other's. A value they read
    differently is disputed (never trusted), unless it is a name and one view's reading is a
    trusted name of common words and no other is made of common words: the other reading is
    then a rival that is no name, as within one reading (``fields._rival``). Nor when one
    view found the value under its label, trusted, and the others only guessed it from its
    neighbours at another place on the card (``to_photo``: each view's photo-to-view matrix;
    without them the views are taken to share one frame): they disagree on where the field
    is, not on what it says, and the label says where.
    """
    frames = to_photo or [np.eye(3)] * len(extractions)
    fields: dict[str, FieldReading] = {}
    parsed_dates = {}
    for key in FIELD_ORDER:
        views = [index for index, extraction in enumerate(extractions) if key in extraction.fields]
        if not views:
            continue
        readings = [extractions[index].fields[key] for index in views]
        places = [_in_photo(extractions[index].fields[key].box, frames[index]) for index in views]
        chosen, disputed = _settled(key, readings, places)
        fields[key] = replace(readings[chosen], disputed=disputed)
        if key in extractions[views[chosen]].parsed_dates:
            parsed_dates[key] = extractions[views[chosen]].parsed_dates[key]
    return replace(
        extractions[0],
        fields=fields,
        parsed_dates=parsed_dates,
        dates=max(extraction.dates for extraction in extractions),
    )


Box = tuple[float, float, float, float]


def _settled(key: str, readings: list[FieldReading], places: list[Box]) -> tuple[int, bool]:
    """Which of the views' readings of a field stands, and whether it stays disputed."""
    if len({reading.value for reading in readings}) == 1:
        return next((index for index, reading in enumerate(readings) if _trusted(reading)), 0), False
    if key in NAME_FIELDS:
        common = [index for index, reading in enumerate(readings) if common_name(reading.value)]
        if len({readings[index].value for index in common}) == 1 and _trusted(readings[common[0]]):
            return common[0], False
    labelled = [index for index, reading in enumerate(readings) if reading.source == "label"]
    if len(labelled) == 1 and _trusted(readings[labelled[0]]):
        placed = places[labelled[0]]
        others = [index for index in range(len(readings)) if index != labelled[0]]
        if all(readings[i].source == "position" and not _overlap(places[i], placed) for i in others):
            return labelled[0], False
    return 0, True


def _in_photo(box: Box, to_view: Matrix) -> Box:
    """A view's box in photo pixels (the bounds of its corners mapped back)."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]])
    corners = corners @ np.linalg.inv(to_view).T
    (left, top), (right, bottom) = corners[:, :2].min(axis=0), corners[:, :2].max(axis=0)
    return float(left), float(top), float(right), float(bottom)


def _overlap(first: Box, second: Box) -> bool:
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def _older_front(extraction: Extraction) -> bool:
    """Only a number and one date in Latin script: the older non-chip card's front."""
    return front_evidence(extraction) == ["number_and_dates"] and extraction.dates == 1


def front_evidence(extraction: Extraction) -> list[str]:
    """What shows a CNIC front: its title, its own labels, or a number among dates.

    A card back quotes the number alone; licences and passports print names, dates and even
    the number, but not the CNIC's own labels or title, and they name themselves. A number
    and one date are the older card's front only among lines of Urdu (a letter quoting a
    number and dated is not).
    """
    if extraction.other_document:
        return []
    evidence = []
    if TITLE in extraction.phrases:
        evidence.append("title")
    if CNIC_ONLY_LABELS & extraction.labels.keys():
        evidence.append("labels")
    if "idNumber" in extraction.fields and (
        extraction.dates >= 2
        or (extraction.dates == 1 and extraction.script_lines_near_number >= MIN_SCRIPT_LINES)
    ):
        evidence.append("number_and_dates")
    return evidence


class Recognizer:
    """Reads the front of a CNIC. One per process: the models load in ``__init__``."""

    def __init__(self, engine: OcrEngine | None = None, today: Callable[[], date] = date.today) -> None:
        self.engine = engine or OcrEngine()
        self._today = today

    @property
    def load_seconds(self) -> float:
        return self.engine.load_seconds

    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
        return self.recognize_and_picture(data, details=details, picture=False)[0]

    def recognize_and_picture(
        self, data: bytes, *, details: bool = False, picture: bool = True
    ) -> tuple[dict[str, Any], bytes | None]:
        """The answer, and (with ``picture``) a PNG of what was read (None for bad input)."""
        trace = Trace()
        try:
            decoded = decode_image(data, max_side=MAX_WORK_SIDE)
        except ImageIntakeError as exc:
            return error_body(_INTAKE_STATUS[exc.problem]), None
        trace.lap("decode_ms", trace.started)
        image = self._work_size(decoded.pixels)
        reading = self._read_views(image, trace)
        body = self._answer(reading)
        if details:
            trace.timings["total_ms"] = round((time.perf_counter() - trace.started) * 1000, 1)
            body["details"] = self._details(reading, trace)
        if not picture:
            return body, None
        found = reading.extraction.fields
        trusted = {key for key in found if _trusted(found[key])}
        return body, annotated_png(image, reading.scene.to_view, reading.lines, reading.extraction, trusted)

    @staticmethod
    def _work_size(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = image.shape[:2]
        scale = MAX_WORK_SIDE / max(height, width)
        if scale >= 1:
            return image
        size = (round(width * scale), round(height * scale))
        return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)

    def _read_views(self, image: NDArray[np.uint8], trace: Trace) -> CardReading:
        """Read the card in two views, the photo detected at two sizes (``DETECT_SIDES``), and
        keep what they agree on (``agreed``): the boxes and the pixels the model reads differ,
        and a misread seldom repeats. An image that shows no sign of a card in the first view,
        or the older card (which cannot be answered OK), is not read again."""
        first = self._read(image, trace, DETECT_SIDES[0])
        if not front_evidence(first.extraction) or _older_front(first.extraction):
            return first
        views = [first, *(self._read_again(image, trace, side, first.scene) for side in DETECT_SIDES[1:])]
        views.sort(key=lambda view: self._rank(view.extraction), reverse=True)
        fused = agreed([view.extraction for view in views], [view.scene.to_view for view in views])
        return replace(views[0], extraction=fused)

    def _read_again(self, image: NDArray[np.uint8], trace: Trace, side: int, seen: Scene) -> CardReading:
        """Another view of a card already found in ``seen``: the same way up, at the angle this
        detection measures, read once. A card that was only found closer is looked for again
        the whole way."""
        if seen.zoomed:
            return self._read(image, trace, side)
        mark = time.perf_counter()
        detection = detect_text(self.engine, image, side)
        scene = find_scene(self.engine, image, detection, angle_near(detection, seen.rotation))
        trace.lap("scene_ms", mark)
        return self._read_scene(scene, trace)

    def _read(self, image: NDArray[np.uint8], trace: Trace, side: int) -> CardReading:
        """Read the card at the angle most text runs at, the way up the line classifier votes
        for. When that reading cannot be answered OK: closer (``_closer``); the other way up
        when it shows no sign of a card at all (the classifier's votes split on small or
        blurred type); then at the next angle that much text runs at (papers lying askew
        beside the card can hold more text than it). The reading that shows the most of a
        card is kept."""
        mark = time.perf_counter()
        detection = detect_text(self.engine, image, side)
        readings: list[tuple[tuple[bool, int, int], CardReading]] = []
        angles: list[float | None] = [*detection.angles[:ANGLES_TRIED]] or [None]
        for index, angle in enumerate(angles):
            for against_votes in (False, True) if index == 0 and angle is not None else (False,):
                scene: Scene | None = find_scene(self.engine, image, detection, angle, against_votes)
                mark = trace.lap("scene_ms", mark)
                while scene is not None:
                    reading = self._read_scene(scene, trace)
                    readings.append((self._rank(reading.extraction), reading))
                    if readings[-1][0][0]:
                        return reading
                    mark = time.perf_counter()
                    scene = self._closer(image, reading)
                    mark = trace.lap("scene_ms", mark)
                if readings[-1][0][1]:  # signs of a card: it was the right way up
                    break
        return max(readings, key=lambda item: item[0])[1]

    def _closer(self, image: NDArray[np.uint8], reading: CardReading) -> Scene | None:
        """The card's text seen closer, when a reading shows a card but cannot answer it.

        The first view is the whole photo reduced, chosen by all its text: a card among
        papers may be read at a size too small for its lone gender letter and its short
        values to be detected. The card's own lines (its labels and values read) tell where
        it is and how small its type is: that part of the photo is detected again at the
        photo's own resolution, or larger when the type is small.
        """
        extraction = reading.extraction
        region = card_extent(extraction)
        if reading.scene.zoomed or region is None or not front_evidence(extraction):
            return None
        factor = max(1 / photo_scale(reading.scene), ZOOM_LINE_HEIGHT / extraction.unit)
        return zoom_scene(self.engine, image, reading.scene, region, factor)

    def _rank(self, extraction: Extraction) -> tuple[bool, int, int]:
        """How much of a card a reading shows: answered OK, signs of a front, fields trusted."""
        evidence = front_evidence(extraction)
        answered = bool(evidence) and not self._problems(extraction)
        trusted = sum(1 for reading in extraction.fields.values() if _trusted(reading))
        return answered, len(evidence), trusted

    def _read_scene(self, scene: Scene, trace: Trace) -> CardReading:
        mark = time.perf_counter()
        texts = self.engine.read(crops_of(scene, scene.lines))
        retry = [index for index, text in enumerate(texts) if rules.digits_left_over(text.text) >= 6]
        if retry:
            again = self.engine.read(crops_of(scene, [scene.lines[index] for index in retry], RETRY_STRETCH))
            for index, text in zip(retry, again, strict=True):
                if rules.digits_left_over(text.text) < rules.digits_left_over(texts[index].text):
                    texts[index] = text
        lines = []
        for line, text in zip(scene.lines, texts, strict=True):
            (x0, y0), (x1, y1) = line.points.min(axis=0), line.points.max(axis=0)
            box = (float(x0), float(y0), float(x1), float(y1))
            lines.append(_line_read(text, box, character_xs(line, text.positions)))
        mixed = [
            index
            for index, text in enumerate(texts)
            if rules.digits_left_over(text.text) >= MIXED_LINE_DIGITS
        ]
        if mixed:
            lines.extend(self._read_windows(scene, [scene.lines[index] for index in mixed]))
        extraction = extract(lines)
        mark = trace.lap("read_ms", mark)
        if "gender" not in extraction.fields and front_evidence(extraction):
            region = gender_region(extraction)
            if region is not None:
                lines.extend(self._read_region(scene, region, extraction.unit))
                extraction = extract(lines)
                trace.lap("reread_ms", mark)
        return CardReading(extraction, scene, lines)

    def _read_windows(self, scene: Scene, lines: list[SceneLine]) -> list[OcrLine]:
        """Read each part (``LINE_WINDOWS``) of lines that hold digits no number or date was
        read from: Latin digits printed on one line with a script the engine cannot read
        (the older card's Urdu "date of birth : 04/07/1986") are garbled read whole."""
        crops, boxes = [], []
        for line in lines:
            crop = crops_of(scene, [line])[0]
            (x0, y0), (x1, y1) = line.points.min(axis=0), line.points.max(axis=0)
            for start, end in LINE_WINDOWS:
                crops.append(
                    np.ascontiguousarray(crop[:, round(start * crop.shape[1]) : round(end * crop.shape[1])])
                )
                boxes.append(
                    (float(x0 + start * (x1 - x0)), float(y0), float(x0 + end * (x1 - x0)), float(y1))
                )
        read = self.engine.read(crops)
        return [replace(_line_read(text, box), window=True) for box, text in zip(boxes, read, strict=True)]

    def _read_region(
        self, scene: Scene, region: tuple[float, float, float, float], unit: float
    ) -> list[OcrLine]:
        """Detect and read the text of one box of the view, enlarged: a lone letter escapes
        detection at the card's scale, and read as one with what is around it (a grid line,
        the pattern behind it) it is garbled."""
        x0, y0, x1, y1 = region
        margin = REGION_MARGIN * unit
        factor = min(max(REGION_ENLARGEMENT, REGION_LINE_HEIGHT / max(unit, 1.0)), MAX_REGION_ENLARGEMENT)
        height, width = scene.view.shape[:2]
        left, top = max(0, round(x0 - margin)), max(0, round(y0 - margin))
        right, bottom = min(width, round(x1 + margin)), min(height, round(y1 + margin))
        if right - left < 2 or bottom - top < 2:
            return []
        part = np.ascontiguousarray(scene.view[top:bottom, left:right])
        enlarged = cv2.resize(part, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        crop = np.asarray(enlarged, dtype=np.uint8)
        boxes, found = [], []
        for box in self.engine.detect(crop):
            (bx0, by0), (bx1, by1) = box.points.min(axis=0) / factor, box.points.max(axis=0) / factor
            view_box = (left + float(bx0), top + float(by0), left + float(bx1), top + float(by1))
            if x0 <= (view_box[0] + view_box[2]) / 2 <= x1 and y0 <= (view_box[1] + view_box[3]) / 2 <= y1:
                boxes.append(view_box)
                found.append(crop_quad(crop, box.points, pad=CROP_PAD))
        if not found:  # nothing detected even enlarged: the box read as one line
            boxes, found = [(float(left), float(top), float(right), float(bottom))], [crop]
        return [_line_read(text, box) for box, text in zip(boxes, self.engine.read(found), strict=True)]

    def _answer(self, reading: CardReading) -> dict[str, Any]:
        extraction = reading.extraction
        if not front_evidence(extraction):
            return error_body(OcrStatus.FAIL, MSG_NOT_IDENTITY_CARD)
        if self._problems(extraction):
            return error_body(OcrStatus.FAIL)
        found = extraction.fields
        return ok_body(CnicFields.model_validate({key: found[key].value for key in FIELD_ORDER}))

    def _problems(self, extraction: Extraction) -> list[str]:
        """Why a CNIC front cannot be answered OK (empty when it can)."""
        found = extraction.fields
        problems = []
        missing = [key for key in FIELD_ORDER if key not in found]
        if _older_front(extraction):
            problems.append(
                "only a number and one date in Latin script: the older non-chip card, whose front "
                "does not print the issue and expiry dates nor the country"
            )
        if missing:
            problems.append("not read: " + ", ".join(missing))
        disputed = [key for key in FIELD_ORDER if key in found and found[key].disputed]
        if disputed:
            problems.append("read differently in the two views: " + ", ".join(disputed))
        corroborated = self._corroborated(extraction)
        doubtful = [
            key
            for key in FIELD_ORDER
            if key in found
            and key not in disputed
            and not (_trusted_when_corroborated if key in corroborated else _trusted)(found[key])
        ]
        if doubtful:
            problems.append("not read with confidence: " + ", ".join(doubtful))

        failed = [check.name for check in self._checks(extraction) if not check.passed]
        if failed:
            problems.append("rules not met: " + ", ".join(failed))
        return problems

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
            checks.append(rules.check_number(number.value))
            gender = found.get("gender")
            if gender is not None:
                checks.append(rules.check_gender_parity(number.value, gender.value))
        dates = extraction.parsed_dates
        birth, issue = dates.get("birthDay"), dates.get("issueDay")
        if extraction.birth_year_only:  # the order of a year alone: its first day stands for it
            birth = date(int(found["birthDay"].value), 1, 1)
        expiry = dates.get("expiryDay")
        if birth and issue and (expiry or extraction.lifetime):
            checks.append(rules.check_date_order(birth, issue, expiry, self._today()))
            checks.append(rules.check_validity(issue, expiry))
        return checks

    def _details(self, reading: CardReading, trace: Trace) -> dict[str, Any]:
        extraction = reading.extraction
        rotation = reading.scene.rotation % 360
        quarter = round(rotation / 90) % 4 * 90
        skew = ((rotation - quarter + 180) % 360) - 180
        evidence = front_evidence(extraction)
        return {
            "fields": {
                key: {
                    "confidence": round(reading_.score, 4),
                    "weakestCharacter": round(reading_.weakest, 4),
                    "rival": round(reading_.rival, 4),
                    "echoedRival": round(reading_.echoed_rival, 4),
                    "disputed": reading_.disputed,
                    "source": reading_.source,
                }
                for key, reading_ in extraction.fields.items()
            },
            "checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail} for c in self._checks(extraction)
            ],
            "frontEvidence": evidence,
            "problems": self._problems(extraction) if evidence else ["no sign of a CNIC front"],
            "labelsFound": sorted(label.value for label in extraction.labels),
            "rotation": quarter,
            "skew": round(skew, 1),
            "zoomed": reading.scene.zoomed,
            "linesRead": len(reading.lines),
            "timingsMs": trace.timings,
        }


_instance: Recognizer | None = None
_instance_lock = threading.Lock()


def get_recognizer() -> Recognizer:
    """The process-wide recognizer (models load once, at first call), configured by
    ``RecognizerSettings`` (environment variables)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                runtime = RecognizerSettings().detection_runtime
                _instance = Recognizer(OcrEngine(detection_runtime=runtime))
    return _instance
