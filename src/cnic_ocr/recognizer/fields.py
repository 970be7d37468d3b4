"""From OCR lines with geometry (in the upright, rectified card's frame) to the eight fields.

Labels printed on the card are the anchors: each value is the line under its label, in the
label's column. Values are then checked against the card's rules; nothing is guessed: a field
that cannot be read with confidence is missing, and the caller turns that into a FAIL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from cnic_ocr.recognizer import rules
from cnic_ocr.recognizer.layout import LABEL_ANCHORS, LABEL_TEXTS, Label

#: Words that mark the front of a CNIC (header and labels), used to tell cards from other images.
FRONT_MARKERS = ("pakistan", "nationalidentitycard", "islamicrepublic")

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z.'\- ]*[A-Za-z.]$")
#: Lower-case words a title-case Pakistani name may hold ("Zia ul Haq", "Noor e Jahan").
NAME_PARTICLES = frozenset({"ul", "ud", "ur", "un", "us", "e", "bin", "binte", "bint", "al", "de"})
#: A value is trusted when its characters' mean confidence and its least sure character's reach
#: these (chosen on synthetic phone photos: lower lets misreads through, higher FAILs good reads).
MIN_MEAN_CONFIDENCE = 0.90
MIN_CHAR_CONFIDENCE = 0.40
#: A value's centre lies about 0.05 of the card's height under its label's; the line beside
#: a label, about 0. "Under" asks for a third of that, whatever the height of the boxes.
MIN_VALUE_DROP = 0.02
#: A line within this distance of a missing label's place that reads at least this much like
#: the label (a SequenceMatcher ratio; "tame" vs "name" is 0.75) is that label misread.
LABEL_PLACE_TOLERANCE = 0.03
MISREAD_LABEL_RATIO = 0.6


@dataclass(frozen=True)
class OcrLine:
    """A recognised line; ``box`` is (x0, y0, x1, y1) as shares of the card's width and height."""

    text: str
    score: float  # mean character confidence
    box: tuple[float, float, float, float]
    weakest: float = 1.0  # lowest character confidence
    caseless: float = 0.0  # mean confidence when letter case is not told apart (never below score)

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass
class FieldReading:
    value: str
    score: float
    source: str  # "label" when paired under its label, "pattern" when found by shape alone
    weakest: float = 1.0


@dataclass
class Extraction:
    fields: dict[str, FieldReading] = field(default_factory=dict)
    labels: dict[Label, OcrLine] = field(default_factory=dict)
    front_markers: frozenset[str] = frozenset()
    parsed_dates: dict[str, date] = field(default_factory=dict)
    lifetime: bool = False


def squash(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def match_label(line: OcrLine) -> Label | None:
    """The label a line is, by fuzzy match on its letters (labels are short and distinct)."""
    letters = squash(line.text)
    if not letters or len(letters) > 20:
        return None
    best: tuple[float, Label | None] = (0.0, None)
    for label, text in LABEL_TEXTS.items():
        ratio = SequenceMatcher(None, letters, text).ratio()
        if ratio > best[0]:
            best = (ratio, label)
    threshold = 0.9 if len(letters) <= 6 else 0.8
    return best[1] if best[0] >= threshold else None


def find_labels(lines: list[OcrLine]) -> dict[Label, OcrLine]:
    """The printed labels among ``lines`` (the most confident reading of each)."""
    labels: dict[Label, OcrLine] = {}
    for line in lines:
        label = match_label(line)
        if label is not None and (label not in labels or line.score > labels[label].score):
            labels[label] = line
    return labels


def _misread_labels(lines: list[OcrLine], labels: dict[Label, OcrLine]) -> list[OcrLine]:
    """Lines where the layout prints a label that was not found, reading nearly like it.

    "Tame" at the place of "Name" is that label misread, not the value under it.
    """
    found = []
    for label, (x, y) in LABEL_ANCHORS.items():
        if label in labels:
            continue
        for line in lines:
            near = (
                abs(line.box[0] - x) < LABEL_PLACE_TOLERANCE
                and abs(line.centre[1] - y) < LABEL_PLACE_TOLERANCE
            )
            if (
                near
                and SequenceMatcher(None, squash(line.text), LABEL_TEXTS[label]).ratio()
                >= MISREAD_LABEL_RATIO
            ):
                found.append(line)
    return found


def _below(label: OcrLine, candidates: list[OcrLine], max_gap: float) -> list[OcrLine]:
    """Lines under ``label`` in its column, nearest first.

    Centres, not tops, decide "under": a value box may start inside the label's box when the
    detector pads it (a blurred photo can swell boxes to twice a line's height), but its
    middle is always lower than the label's.
    """
    found = []
    label_mid = label.centre[1]
    for line in candidates:
        if line is label:
            continue
        drop = line.centre[1] - label_mid
        column_ok = abs(line.box[0] - label.box[0]) < 0.06 or (line.box[0] < label.centre[0] < line.box[2])
        if MIN_VALUE_DROP < drop < max_gap and column_ok:
            found.append(line)
    return sorted(found, key=lambda ln: ln.centre[1])


def _virtual_label(label: Label) -> OcrLine:
    """A label that was not read, where the layout puts it."""
    x, y = LABEL_ANCHORS[label]
    return OcrLine(text="", score=0.0, box=(x, y - 0.015, x + 0.08, y + 0.015))


def _is_name(text: str) -> bool:
    """Letters in title-case words: what the card prints, and what garbage rarely is.

    A word in capitals is not a name's: the card's header ("ISLAMIC REPUBLIC OF PAKISTAN")
    is, and a tilted view can put it where a name is expected.
    """
    if not NAME_PATTERN.match(text) or sum(ch.isalpha() for ch in text) < 2:
        return False
    return all(
        (word[0].isupper() and not (word.isupper() and sum(ch.isalpha() for ch in word) > 1))
        or word.lower() in NAME_PARTICLES
        for word in text.split(" ")
        if word
    )


def _clean_name(text: str) -> str:
    """Tidy a printed name, undoing the l/I confusion that title case makes certain.

    Names are printed in title case, so a word cannot start with a lower-case ``l`` (it is an
    ``I``: "lqbal" → "Iqbal"), a capital ``I`` cannot follow a letter (it is an ``l``), and a
    capital after a lower-case letter starts a word whose space was lost ("MuhammadSaleem").
    """
    spaced = re.sub(r"(?<=[a-z])(?=[A-HJ-Z])", " ", text.replace("_", " "))
    words = re.sub(r"\s+", " ", spaced).strip(" .,:;").split(" ")
    fixed = []
    for word in words:
        if len(word) > 1 and word[0] == "l" and word[1].islower():
            word = "I" + word[1:]
        word = re.sub(r"(?<=[A-Za-z])I(?=[a-z]|$)", "l", word)
        fixed.append(word)
    return " ".join(fixed)


def extract(lines: list[OcrLine]) -> Extraction:
    """Pair values with labels and parse them; missing or doubtful fields are left out."""
    result = Extraction(labels=find_labels(lines))
    misread_labels = _misread_labels(lines, result.labels)
    values = [line for line in lines if match_label(line) is None and line not in misread_labels]
    squashed_all = " ".join(squash(line.text) for line in lines)
    result.front_markers = frozenset(marker for marker in FRONT_MARKERS if marker in squashed_all)

    def anchor(label: Label) -> OcrLine:
        return result.labels.get(label) or _virtual_label(label)

    # Names: the first Latin-script line under the label (the Urdu line follows it).
    father_label = Label.HUSBAND_NAME if Label.HUSBAND_NAME in result.labels else Label.FATHER_NAME
    for key, label in (("name", Label.NAME), ("fatherName", father_label)):
        for line in _below(anchor(label), values, 0.13):
            text = _clean_name(line.text)
            if _is_name(text):
                source = "label" if label in result.labels else "prior"
                result.fields[key] = FieldReading(text, line.score, source, line.weakest)
                break

    for line in _below(anchor(Label.GENDER), values, 0.12):
        text = line.text.strip().upper()
        if text in {"M", "F", "X"}:
            # A lone letter shows no case: "x" and "X" split the model's confidence.
            confidence = max(line.score, line.caseless)
            result.fields["gender"] = FieldReading(text, confidence, "label", confidence)
            break

    for line in _below(anchor(Label.COUNTRY), values, 0.12):
        text = _clean_name(line.text)
        if _is_name(text):
            result.fields["country"] = FieldReading(text, line.score, "label", line.weakest)
            break

    for line in _below(anchor(Label.IDENTITY_NUMBER), values, 0.12):
        numbers = rules.find_id_numbers(line.text)
        if numbers:
            result.fields["idNumber"] = FieldReading(numbers[0], line.score, "label", line.weakest)
            break
    if "idNumber" not in result.fields:
        for line in values:
            numbers = rules.find_id_numbers(line.text)
            if numbers:
                result.fields["idNumber"] = FieldReading(numbers[0], line.score, "pattern", line.weakest)
                break

    for key, label in (("birthDay", Label.BIRTH), ("issueDay", Label.ISSUE), ("expiryDay", Label.EXPIRY)):
        for line in _below(anchor(label), values, 0.12):
            text = line.text
            for number in rules.find_id_numbers(text):  # a line merged with the number
                text = text.replace(number, " ")
            dates = rules.find_dates(text)
            if dates:
                result.parsed_dates[key] = dates[-1] if len(dates) > 1 and key != "birthDay" else dates[0]
                result.fields[key] = FieldReading(
                    result.parsed_dates[key].strftime("%Y%m%d"), line.score, "label", line.weakest
                )
                break
            if key == "expiryDay" and rules.LIFETIME_PATTERN.search(text):
                result.lifetime = True
                result.fields[key] = FieldReading("LIFETIME", line.score, "label", line.weakest)
                break
    return result
