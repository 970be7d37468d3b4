"""From OCR lines with geometry (in the upright, rectified card's frame) to the eight fields.

Labels printed on the card are the anchors: each value is the line under its label, in the
label's column. Values are then checked against the card's rules; nothing is guessed: a field
that cannot be read with confidence is missing, and the caller turns that into a FAIL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher

from cnic_ocr.recognizer import rules
from cnic_ocr.recognizer.layout import LABEL_ANCHORS, LABEL_TEXTS, Label

#: Words that mark the front of a CNIC (header and labels), used to tell cards from other images.
FRONT_MARKERS = ("pakistan", "nationalidentitycard", "islamicrepublic")

GENDERS = frozenset({"M", "F", "X"})
DATE_FORMAT = "%Y%m%d"
#: What ``expiryDay`` is on a card printed "Lifetime".
LIFETIME = "LIFETIME"
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z.'\- ]*[A-Za-z.]$")
#: Lower-case words a title-case Pakistani name may hold ("Zia ul Haq", "Noor e Jahan").
NAME_PARTICLES = frozenset({"ul", "ud", "ur", "un", "us", "e", "bin", "binte", "bint", "al", "de"})
#: Lower-case letters drawn like their capitals, only smaller: alone, the case cannot be seen.
CAPITAL_SHAPED = frozenset("cjkopsuvwxz")
#: A value is trusted when its characters' mean confidence and its least sure character's reach
#: these (chosen on synthetic phone photos: lower lets misreads through, higher FAILs good reads).
MIN_MEAN_CONFIDENCE = 0.90
MIN_CHAR_CONFIDENCE = 0.40
#: ...and no single character's second choice, that would make another valid value, reaches
#: this (on synthetic photos: 1 in 650 rightly read names, every letter-for-letter misread seen).
MAX_RIVAL_PROBABILITY = 0.15
#: A rival that the card's other name echoes (it turns a word into one of that name's words)
#: is a doubt from this probability on.
ECHOED_RIVAL_FLOOR = 0.03
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
    weakest: float = 1.0  # lowest confidence of a character other than a space
    caseless: float = 0.0  # mean confidence when letter case is not told apart (never below score)
    rivals: tuple[tuple[str, float], ...] = ()  # per character: the model's best other choice

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
    source: str  # "label" under its label, "prior" under where it should be, "pattern" by shape
    weakest: float = 1.0
    rival: float = 0.0  # probability of the strongest one-character misread giving another value
    echoed_rival: float = 0.0  # ...of one that makes a name word one of the other name's words


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
            if max(abs(line.box[0] - x), abs(line.centre[1] - y)) >= LABEL_PLACE_TOLERANCE:
                continue
            if SequenceMatcher(None, squash(line.text), LABEL_TEXTS[label]).ratio() >= MISREAD_LABEL_RATIO:
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
    """Tidy a printed name, undoing the confusions that title case makes certain.

    Names are printed in title case, so a word cannot start with a lower-case ``l`` (it is an
    ``I``: "lqbal" → "Iqbal") nor with a lower-case letter shaped like its capital ("jatoi"
    → "Jatoi"), a capital ``I`` cannot follow a letter (it is an ``l``), and a capital after a
    lower-case letter starts a word whose space was lost ("MuhammadSaleem").
    """
    spaced = re.sub(r"(?<=[a-z])(?=[A-HJ-Z])", " ", text.replace("_", " "))
    words = re.sub(r"\s+", " ", spaced).strip(" .,:;").split(" ")
    fixed = []
    for word in words:
        if len(word) > 1 and word[1].islower() and word.lower() not in NAME_PARTICLES:
            if word[0] == "l":
                word = "I" + word[1:]
            elif word[0] in CAPITAL_SHAPED:
                word = word[0].upper() + word[1:]
        word = re.sub(r"(?<=[A-Za-z])I(?=[a-z]|$)", "l", word)
        fixed.append(word)
    return " ".join(fixed)


ValueParser = Callable[[str], str | None]


def _name_value(text: str) -> str | None:
    cleaned = _clean_name(text)
    return cleaned if _is_name(cleaned) else None


def _gender_value(text: str) -> str | None:
    value = text.strip().upper()
    return value if value in GENDERS else None


def _number_value(text: str) -> str | None:
    numbers = rules.find_id_numbers(text)
    return numbers[0] if numbers else None


def _date_value(key: str) -> ValueParser:
    def value_of(text: str) -> str | None:
        for number in rules.find_id_numbers(text):  # a line merged with the number
            text = text.replace(number, " ")
        dates = rules.find_dates(text)
        if dates:  # a later date on the line is the one asked for, except for birth
            return (dates[-1] if len(dates) > 1 and key != "birthDay" else dates[0]).strftime(DATE_FORMAT)
        if key == "expiryDay" and rules.LIFETIME_PATTERN.search(text):
            return LIFETIME
        return None

    return value_of


def _rival_readings(line: OcrLine, floor: float = 0.0) -> Iterator[tuple[float, str]]:
    """(probability, text) of each one-character change to the model's second choice."""
    for position, (rival, probability) in enumerate(line.rivals):
        if rival and probability >= floor:
            yield probability, line.text[:position] + rival + line.text[position + 1 :]


def _rival(line: OcrLine, value_of: ValueParser) -> float:
    """How likely the strongest one-character rival reading that gives another valid value is.

    A misread that still makes a valid value ("Agsa" for "Aqsa", 1964 for 1984) can be
    confident overall; the model's second choice for that one character shows the doubt.
    Rivals the field's rules settle (title case decides l/I and letter case) give the same
    value and do not count.
    """
    value = value_of(line.text)
    return max(
        (p for p, text in _rival_readings(line) if (other := value_of(text)) is not None and other != value),
        default=0.0,
    )


def _echoed_rival(line: OcrLine, name: str, other_name: str) -> float:
    """How likely the strongest rival reading that makes a word of ``name`` one of the other's.

    Family names are shared: "Yousafzal" beside a father's "Yousafzai", with ``i`` as the
    second choice for the ``l``, is far likelier a misread than a second family name.
    """
    other_words = set(other_name.split(" "))
    shared = len(other_words & set(name.split(" ")))

    def echoed(text: str) -> bool:
        rival_name = _name_value(text)
        return rival_name is not None and len(other_words & set(rival_name.split(" "))) > shared

    return max((p for p, text in _rival_readings(line, ECHOED_RIVAL_FLOOR) if echoed(text)), default=0.0)


def extract(lines: list[OcrLine]) -> Extraction:
    """Pair values with labels and parse them; missing or doubtful fields are left out."""
    result = Extraction(labels=find_labels(lines))
    misread_labels = _misread_labels(lines, result.labels)
    values = [line for line in lines if match_label(line) is None and line not in misread_labels]
    squashed_all = " ".join(squash(line.text) for line in lines)
    result.front_markers = frozenset(marker for marker in FRONT_MARKERS if marker in squashed_all)

    def anchor(label: Label) -> OcrLine:
        return result.labels.get(label) or _virtual_label(label)

    taken: dict[str, OcrLine] = {}

    def take(key: str, label: Label, value_of: ValueParser, max_gap: float = 0.12) -> None:
        """The nearest line under ``label`` that parses as the field's value."""
        for line in _below(anchor(label), values, max_gap):
            value = value_of(line.text)
            if value is not None:
                source = "label" if label in result.labels else "prior"
                score, weakest = line.score, line.weakest
                if key == "gender":  # a lone letter shows no case: "x" and "X" split the confidence
                    score = weakest = max(line.score, line.caseless)
                result.fields[key] = FieldReading(value, score, source, weakest, _rival(line, value_of))
                taken[key] = line
                return

    # Names: the first Latin-script line under the label (the Urdu line follows it).
    father_label = Label.HUSBAND_NAME if Label.HUSBAND_NAME in result.labels else Label.FATHER_NAME
    take("name", Label.NAME, _name_value, 0.13)
    take("fatherName", father_label, _name_value, 0.13)
    for key, other in (("name", "fatherName"), ("fatherName", "name")):
        if key in taken and other in taken:
            name, other_name = result.fields[key].value, result.fields[other].value
            result.fields[key].echoed_rival = _echoed_rival(taken[key], name, other_name)
    take("gender", Label.GENDER, _gender_value)
    take("country", Label.COUNTRY, _name_value)
    take("idNumber", Label.IDENTITY_NUMBER, _number_value)
    if "idNumber" not in result.fields:
        for line in values:
            number = _number_value(line.text)
            if number is not None:
                rival = _rival(line, _number_value)
                result.fields["idNumber"] = FieldReading(number, line.score, "pattern", line.weakest, rival)
                break
    for key, label in (("birthDay", Label.BIRTH), ("issueDay", Label.ISSUE), ("expiryDay", Label.EXPIRY)):
        take(key, label, _date_value(key))
        value = result.fields[key].value if key in result.fields else None
        if value == LIFETIME:
            result.lifetime = True
        elif value is not None:
            result.parsed_dates[key] = datetime.strptime(value, DATE_FORMAT).date()
    return result
