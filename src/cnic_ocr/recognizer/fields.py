"""From the lines read on a card (text and box in the upright view) to the eight fields.

Nothing here knows where one drawing of the card puts things. Each value is found from what
was read: under its label when the label was read; otherwise by its own shape (the number's
pattern, the dates) and the card's rules (birth < issue < expiry), and by geometry relative to
other values, measured in the height of the card's own value lines (names are the Latin lines
above the grid, in the number's column; the gender letter stands above the number). A field
that cannot be found is left out, and the caller answers FAIL: nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import SequenceMatcher
from itertools import combinations

from cnic_ocr.recognizer import rules
from cnic_ocr.recognizer.labels import (
    COUNTRIES,
    LABEL_TEXTS,
    OTHER_DOCUMENT_TITLES,
    PRINTED_PHRASES,
    Label,
    squash,
)
from cnic_ocr.recognizer.name_words import NAME_WORDS

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
#: these (lower lets misreads through, higher FAILs good reads).
MIN_MEAN_CONFIDENCE = 0.90
MIN_CHAR_CONFIDENCE = 0.40
#: ...and no single character's second choice, that would make another valid value, reaches
#: this (on synthetic photos: 1 in 650 rightly read names, every letter-for-letter misread seen).
MAX_RIVAL_PROBABILITY = 0.15
#: A second choice the model gives at least this probability is a reading it considered: a
#: doubt when the card's other name echoes it (it turns a word into one of that name's words),
#: the name when it makes a name of common words of a rare one.
RIVAL_FLOOR = 0.03
#: A label's letters must match its text this well (a SequenceMatcher ratio); short labels
#: ("name") more strictly, since a short word matches many.
LABEL_RATIO = 0.8
SHORT_LABEL_RATIO = 0.9
#: A line that reads this much like a label (a SequenceMatcher ratio) is not a name.
MISREAD_LABEL_RATIO = 0.6
#: A country read one letter from exactly one country's name, and this long, is that country;
#: one read this close to some country's name (a SequenceMatcher ratio) but not one letter
#: from exactly one is refused.
MIN_SNAPPED_COUNTRY = 5
NEAR_COUNTRY_RATIO = 0.75
#: A birth date printed as a year alone, perhaps after the dots of a missing day and month.
BARE_YEAR = re.compile(r"[.\s]*((?:19|20)[0-9]{2})")
#: A value lies under its label when its middle is this many value heights lower...
UNDER_LABEL = (0.3, 3.2)
#: A value right under its label (the next line down) is at most this many heights lower.
RIGHT_UNDER_LABEL = 1.6
#: A value printed after its label on the label's line: middles this close (in value heights),
#: and at most this far right of the label's end.
BESIDE_LABEL = (0.3, 1.0)
#: ...and its left end is within this many value heights of the label's (or they overlap).
SAME_COLUMN = 1.5
#: A form prints a value on its label's row (middles as close as ``BESIDE_LABEL[0]``), after a
#: gap of up to this many value heights.
FORM_GAP = 6.0
#: The gender letter stands over the number, at most this many value heights higher.
GENDER_ABOVE_NUMBER = (0.5, 4.5)
#: Two values are on one row when their middles differ by less than this many heights.
SAME_ROW = 0.7
#: Lines read with less mean confidence than this are not Latin text (the model reads Urdu
#: script as garbled Latin), and are counted this many value heights around the number.
LATIN_CONFIDENCE = 0.7
SCRIPT_NEIGHBOURHOOD = 8
#: Names are printed in the number's column: their left ends within this many heights of it.
NAME_COLUMN = 3.0
#: ...and in the values' type: a line much lower than the number's is a label (printed about
#: 0.6 x as high) misread into a name-like word ("Wacne" for "Name").
VALUE_TYPE = 0.8


@dataclass(frozen=True)
class OcrLine:
    """A recognised line; ``box`` is (x0, y0, x1, y1) in the upright view's pixels."""

    text: str
    score: float  # mean character confidence
    box: tuple[float, float, float, float]
    weakest: float = 1.0  # lowest confidence of a character other than a space
    caseless: float = 0.0  # mean confidence when letter case is not told apart (never below score)
    rivals: tuple[tuple[str, float], ...] = ()  # per character: the model's best other choice
    confidences: tuple[float, ...] = ()  # per character
    xs: tuple[float, ...] = ()  # per character: the x of its middle
    #: A part of a line read alone, for the Latin digits a script beside them garbles: a
    #: source of numbers and dates, never of a name (its letters are that script misread).
    window: bool = False

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    def part(self, start: int, end: int) -> OcrLine:
        """Characters ``start:end`` of the line, with their share of its box."""
        while start < end and self.text[start] == " ":
            start += 1
        while end > start and self.text[end - 1] == " ":
            end -= 1
        if (start, end) == (0, len(self.text)):
            return self
        x0, y0, x1, y1 = self.box
        if len(self.xs) == len(self.text) and end > start:
            pitch = (self.xs[-1] - self.xs[0]) / max(len(self.xs) - 1, 1)
            left, right = self.xs[start] - pitch / 2, self.xs[end - 1] + pitch / 2
        else:
            length = max(len(self.text), 1)
            left, right = x0 + (x1 - x0) * start / length, x0 + (x1 - x0) * end / length
        chars = self.confidences[start:end]
        text = self.text[start:end]
        if len(chars) != len(text) or not chars:  # no per-character confidences: the line's own
            score, weakest = self.score, self.weakest
        else:
            score = sum(chars) / len(chars)
            weakest = min((c for ch, c in zip(text, chars, strict=True) if ch != " "), default=score)
        return OcrLine(
            text,
            score,
            (left, y0, right, y1),
            weakest,
            score,
            self.rivals[start:end],
            chars,
            self.xs[start:end],
        )

    def split_at(self, x: float, reach: float) -> tuple[OcrLine, OcrLine] | None:
        """The characters left and right of ``x``, when both sides hold some.

        A space within ``reach`` of ``x`` is where the split falls; a number or a date is
        never cut in two.
        """
        if len(self.xs) != len(self.text):
            return None
        spaces = [i for i, ch in enumerate(self.text) if ch == " " and abs(self.xs[i] - x) < reach]
        if spaces:
            index = min(spaces, key=lambda i: abs(self.xs[i] - x))
        else:
            index = next((i for i, middle in enumerate(self.xs) if middle > x), len(self.xs))
        for pattern in (rules.NUMBER_PATTERN, rules.DATE_PATTERN):
            for match in pattern.finditer(self.text):
                if match.start() < index < match.end():
                    return None
        left, right = self.part(0, index), self.part(index, len(self.text))
        if not left.text.strip() or not right.text.strip():
            return None
        return left, right


@dataclass
class FieldReading:
    value: str
    score: float
    source: str  # "label" under its label, "rules" by the card's rules, "position" by its neighbours
    weakest: float = 1.0
    rival: float = 0.0  # probability of the strongest one-character misread giving another value
    echoed_rival: float = 0.0  # ...of one that makes a name word one of the other name's words
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    disputed: bool = False  # another view of the card read another value


@dataclass
class Extraction:
    fields: dict[str, FieldReading] = field(default_factory=dict)
    labels: dict[Label, OcrLine] = field(default_factory=dict)
    #: Fixed phrases of the front that were read (its title among them).
    phrases: frozenset[str] = frozenset()
    parsed_dates: dict[str, date] = field(default_factory=dict)
    #: How many calendar dates were read anywhere, fields or not.
    dates: int = 0
    #: The height of the card's value lines, the unit of every distance here (view pixels).
    unit: float = 0.0
    #: A line names another document ("PASSPORT", "DRIVING LICENCE").
    other_document: bool = False
    #: Lines around the number that the engine could not read as Latin text (Urdu script).
    script_lines_near_number: int = 0

    @property
    def lifetime(self) -> bool:
        return "expiryDay" in self.fields and self.fields["expiryDay"].value == LIFETIME

    @property
    def birth_year_only(self) -> bool:
        """The card prints the birth date as a year only (no day and month)."""
        return "birthDay" in self.fields and BARE_YEAR.fullmatch(self.fields["birthDay"].value) is not None


# --- labels -------------------------------------------------------------------------------


def _label_hits(line: OcrLine) -> list[tuple[Label, int, int, int]]:
    """The labels printed in ``line`` as (label, first character, end, letters unread at its
    start), longest matches first.

    One detected line can hold two labels ("Gender Country of Stay"), or a label and its value.
    """
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", line.text)]
    candidates: list[tuple[float, Label, int, int, int]] = []
    for first in range(len(words)):
        for last in range(first, min(first + 4, len(words))):
            start, end = words[first][0], words[last][1]
            letters = squash(line.text[start:end])
            if not letters or len(letters) > 16:
                continue
            for label, texts in LABEL_TEXTS.items():
                for text in texts:
                    matcher = SequenceMatcher(None, letters, text)
                    ratio = matcher.ratio()
                    if ratio >= (SHORT_LABEL_RATIO if len(text) <= 6 else LABEL_RATIO):
                        block = matcher.get_matching_blocks()[0]
                        candidates.append((ratio * len(text), label, start, end, max(block.b - block.a, 0)))
    hits: list[tuple[Label, int, int, int]] = []
    for _, label, start, end, unread in sorted(candidates, key=lambda c: -c[0]):
        if all(end <= s or start >= e for _, s, e, _ in hits) and all(label != h[0] for h in hits):
            hits.append((label, start, end, unread))
    return hits


def split_labels(lines: list[OcrLine]) -> tuple[dict[Label, OcrLine], list[OcrLine]]:
    """The labels read (the most confident of each) and the parts of lines that are not labels.

    A label whose first letters were not read ("ntry of Stay": its box was cut) is placed
    where it starts, those letters further left: its left end is where its column starts.
    """
    labels: dict[Label, OcrLine] = {}
    values: list[OcrLine] = []
    for line in lines:
        cursor = 0
        for label, start, end, unread in sorted(_label_hits(line), key=lambda hit: hit[1]):
            piece = line.part(start, end)
            if unread:
                x0, y0, x1, y1 = piece.box
                pitch = (x1 - x0) / max(len(squash(piece.text)), 1)
                piece = replace(piece, box=(x0 - unread * pitch, y0, x1, y1))
            if label not in labels or piece.score > labels[label].score:
                labels[label] = piece
            if squash(line.text[cursor:start]) or any(ch.isdigit() for ch in line.text[cursor:start]):
                values.append(line.part(cursor, start))
            cursor = end
        rest = line.text[cursor:]
        if any(ch.isalnum() for ch in rest):
            values.append(line.part(cursor, len(line.text)))
    return labels, values


def _unshared(lines: list[OcrLine]) -> list[OcrLine]:
    """The lines, each character read twice where two lines' boxes overlap kept in one only.

    Two values close on one row get detected boxes that overlap, and the characters where
    they overlap are read in both: the number's crop ends with the first digit of the date
    after it ("13085-5415378-02"), or the date's crop starts with the number's last digit
    ("723.08.1982"). The copy dropped is the one whose removal leaves more numbers and dates
    read; when neither does, both lines stay as read.
    """
    lines = list(lines)
    for i, j in ((i, j) for i in range(len(lines)) for j in range(len(lines)) if i != j):
        left, right = lines[i], lines[j]
        if abs(left.centre[1] - right.centre[1]) > 0.5 * min(left.height, right.height):
            continue
        if not left.box[0] < right.box[0] < left.box[2] < right.box[2]:
            continue
        options = [(left, right)]
        ends = sum(1 for x in left.xs if x >= right.box[0])  # left's characters over right
        shared = left.text[len(left.text) - ends :].strip() if len(left.xs) == len(left.text) and ends else ""
        if shared and right.text.lstrip().startswith(shared):
            options.append((left.part(0, len(left.text) - ends), right))
        starts = sum(1 for x in right.xs if x <= left.box[2])  # right's characters over left
        shared = right.text[:starts].strip() if len(right.xs) == len(right.text) else ""
        if shared and left.text.rstrip().endswith(shared):
            options.append((left, right.part(starts, len(right.text))))
        best = max(options, key=lambda pair: sum(_values_in(line.text) for line in pair))
        lines[i], lines[j] = best
    return lines


def _values_in(text: str) -> int:
    return len(rules.find_id_numbers(text)) + len(rules.find_dates(rules.NUMBER_PATTERN.sub(" ", text)))


#: Labels a card prints one of: the father's or the husband's name.
ONE_OF = (frozenset({Label.FATHER_NAME, Label.HUSBAND_NAME}),)


def _like_a_label(line: OcrLine, read: frozenset[Label]) -> bool:
    """A line that reads nearly like a label ("Fater Nane") is that label misread, unless that
    label was read elsewhere: each is printed once, and a name may read like one ("Irfan Ahmed"
    is as near "fathername" as a misread label is, on a card whose "Husband Name" was read)."""
    printed = set(read)
    for group in ONE_OF:
        if group & printed:
            printed |= group
    letters = squash(line.text)
    return any(
        SequenceMatcher(None, letters, text).ratio() >= MISREAD_LABEL_RATIO
        for label, texts in LABEL_TEXTS.items()
        if label not in printed
        for text in texts
        if len(text) > 4
    )


def _split_by_columns(values: list[OcrLine], labels: dict[Label, OcrLine], unit: float) -> list[OcrLine]:
    """Values that run on under the next label are two values ("M" and "Pakistan" read as
    one line "MPakistan"): each label's left end starts a column."""
    starts = sorted(label.box[0] for label in labels.values())
    result = []
    for value in values:
        pieces = [value]
        for start in starts:
            last = pieces[-1]
            cut = start - 0.25 * unit
            if len(last.xs) == len(last.text):  # characters on both sides of the column's start
                inside = any(x < cut for x in last.xs) and any(x > cut for x in last.xs)
            else:
                inside = last.box[0] + 0.5 * unit < start < last.box[2] - 0.5 * unit
            under = any(
                abs(label.box[0] - start) < 1e-6
                and UNDER_LABEL[0] < (last.centre[1] - label.centre[1]) / unit < RIGHT_UNDER_LABEL
                for label in labels.values()
            )
            if inside and under and (split := last.split_at(cut, 1.5 * unit)) is not None:
                pieces[-1:] = list(split)
        result.extend(pieces)
    return result


def _value_unit(values: list[OcrLine]) -> float:
    """The height of the lines that hold the number or a date (else of all lines)."""
    measured = [
        line.height
        for line in values
        if rules.NUMBER_PATTERN.search(line.text) or rules.DATE_PATTERN.search(line.text)
    ]
    heights = sorted(measured or [line.height for line in values] or [1.0])
    return max(heights[len(heights) // 2], 1e-6)


def _is_printed_phrase(text: str) -> str | None:
    letters = squash(text)
    for phrase in PRINTED_PHRASES:
        if len(letters) >= 6 and SequenceMatcher(None, letters, phrase).ratio() >= 0.8:
            return phrase
    return None


# --- values -------------------------------------------------------------------------------


def _is_name(text: str) -> bool:
    """Letters in title-case words: what the card prints, and what garbage rarely is.

    A word in capitals is not a name's: the card's header ("ISLAMIC REPUBLIC OF PAKISTAN")
    is.
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
    return cleaned if _is_name(cleaned) and _is_printed_phrase(cleaned) is None else None


def _country_value(text: str) -> str | None:
    """A country of stay: a name of the countries cards print, or one letter from exactly one
    of them (a misread: "Pakistam"); a title-case name near none is taken as printed, and one
    near several is refused. A country printed with a comma ("China, Mainland") is no name's
    shape, and is taken only as printed."""
    printed = re.sub(r"\s+", " ", text).strip(" .:;")
    if printed in COUNTRIES:
        return printed
    value = _name_value(text)
    if value is None or value in COUNTRIES:
        return value
    near = [country for country in COUNTRIES if _one_edit_apart(value, country)]
    if len(near) == 1 and len(value) >= MIN_SNAPPED_COUNTRY:
        return near[0]
    close = any(SequenceMatcher(None, value, country).ratio() >= NEAR_COUNTRY_RATIO for country in COUNTRIES)
    return None if close else value


def _agreeing_confidence(line: OcrLine, value: str) -> tuple[float, float]:
    """Mean and lowest confidence of the characters read as ``value`` prints them.

    A country one letter from exactly one of the countries cards print is that country: the
    letter that was replaced is no doubt about the value, the others' confidence is.
    """
    if len(line.confidences) != len(line.text):
        return line.score, line.weakest
    matcher = SequenceMatcher(None, line.text, value, autojunk=False)
    kept = [
        line.confidences[index]
        for block in matcher.get_matching_blocks()
        for index in range(block.a, block.a + block.size)
        if line.text[index] != " "
    ]
    if not kept:
        return line.score, line.weakest
    return sum(kept) / len(kept), min(kept)


def _one_edit_apart(first: str, second: str) -> bool:
    """One letter replaced, added or dropped."""
    if abs(len(first) - len(second)) > 1 or first == second:
        return False
    if len(first) == len(second):
        return sum(a != b for a, b in zip(first, second, strict=True)) == 1
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _gender_value(text: str) -> str | None:
    value = text.strip(" .:;,'|").upper()
    return value if value in GENDERS else None


def _number_value(text: str) -> str | None:
    numbers = rules.find_id_numbers(text)
    return numbers[0] if numbers else None


def _date_value(text: str) -> str | None:
    dates = rules.find_dates(text)
    if dates:
        return dates[0].strftime(DATE_FORMAT)
    if rules.LIFETIME_PATTERN.search(text):
        return LIFETIME
    return None


def _year_value(text: str) -> str | None:
    """A line that is a bare year of birth ("1973", "..1963"): the year."""
    match = BARE_YEAR.fullmatch(text.strip())
    return match.group(1) if match else None


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
    value and do not count; for a name, neither do rivals that common name words settle: a
    reading of common name words is not doubted by a rival that is not one ("Ali", "All").
    """
    value = value_of(line.text)
    settled = value_of is _name_value and value is not None and common_name(value)
    return max(
        (
            p
            for p, text in _rival_readings(line)
            if (other := value_of(text)) is not None
            and other != value
            and not (settled and not common_name(other))
        ),
        default=0.0,
    )


def common_name(name: str) -> bool:
    """Whether every word of ``name`` is a common name word or a name's particle."""
    words = name.lower().split()
    return bool(words) and all(word in NAME_WORDS or word in NAME_PARTICLES for word in words)


def _as_common_name(token: _Token | None) -> _Token | None:
    """A name read with a rare word, whose one rival letter makes it a name of common words,
    is that name: "Tarig" with ``q`` second is "Tariq".

    The model split its belief between the two letters and the name words decide, so the
    letter's confidence is the two together. Kept as read when no rival, or more than one
    different name, is made of common words.
    """
    if token is None or common_name(token.value):
        return token
    line = token.line
    common = {
        position: value
        for position, (rival, probability) in enumerate(line.rivals)
        if rival
        and probability >= RIVAL_FLOOR
        and (value := _name_value(line.text[:position] + rival + line.text[position + 1 :])) is not None
        and common_name(value)
    }
    if len(set(common.values())) != 1 or len(line.confidences) != len(line.text):
        return token
    position = max(common, key=lambda index: line.rivals[index][1])
    rival, probability = line.rivals[position]
    confidences = list(line.confidences)
    confidences[position] += probability
    rivals = list(line.rivals)
    rivals[position] = ("", 0.0)
    text = line.text[:position] + rival + line.text[position + 1 :]
    letters = [c for char, c in zip(text, confidences, strict=True) if char != " "]
    corrected = replace(
        line,
        text=text,
        score=sum(confidences) / len(confidences),
        weakest=min(letters, default=0.0),
        rivals=tuple(rivals),
        confidences=tuple(confidences),
    )
    return _Token(common[position], corrected)


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

    return max((p for p, text in _rival_readings(line, RIVAL_FLOOR) if echoed(text)), default=0.0)


@dataclass(frozen=True)
class _Token:
    """A value read somewhere: its parsed value and the part of a line it was read from."""

    value: str
    line: OcrLine


def _tokens(
    values: list[OcrLine],
    pattern: re.Pattern[str],
    parse: ValueParser,
    *,
    besides: re.Pattern[str] | None = None,
) -> list[_Token]:
    """Every match of ``pattern`` that parses, with its part of the line. Matches of ``besides``
    are blanked first: a date run on from the number ("…-119.03.1963") starts after it."""
    found = []
    for line in values:
        text = line.text
        if besides is not None:
            text = besides.sub(lambda match: " " * len(match.group(0)), text)
        for match in pattern.finditer(text):
            part = line.part(match.start(), match.end())
            value = parse(part.text)
            if value is not None:
                found.append(_Token(value, part))
    return found


# --- geometry -----------------------------------------------------------------------------


def _under(label: OcrLine, line: OcrLine, unit: float) -> bool:
    """Whether ``line`` is the value of ``label``: under it in its column, or right after it
    on its line ("Gender: M", as some drawings print them)."""
    if abs(line.centre[1] - label.centre[1]) < BESIDE_LABEL[0] * unit and (
        -0.2 * unit < line.box[0] - label.box[2] < BESIDE_LABEL[1] * unit
    ):
        return True
    drop = (line.centre[1] - label.centre[1]) / unit
    aligned = abs(line.box[0] - label.box[0]) < SAME_COLUMN * unit
    overlapping = line.box[0] < label.centre[0] < line.box[2] or label.box[0] < line.centre[0] < label.box[2]
    return UNDER_LABEL[0] < drop < UNDER_LABEL[1] and (aligned or overlapping)


def _nearest_under(
    label: OcrLine | None, candidates: list[_Token], unit: float, labels: Iterable[OcrLine]
) -> _Token | None:
    """The value of ``label``: the highest candidate under it that no label between them owns;
    else, as forms print them ("Country of Stay:   Pakistan"), the nearest on its row to the
    right with no label between.

    A value belongs to the nearest label above it: the expiry date under "Date of Expiry" is
    also within reach of "Date of Birth" two rows up when the birth row holds no date.
    """
    if label is None:
        return None
    others = [other for other in labels if other is not label]
    under = [
        token
        for token in candidates
        if _under(label, token.line, unit)
        and not any(
            label.centre[1] < other.centre[1] < token.line.centre[1] and _under(other, token.line, unit)
            for other in others
        )
    ]
    if under:
        return min(under, key=lambda token: token.line.centre[1])
    beside = [
        token
        for token in candidates
        if abs(token.line.centre[1] - label.centre[1]) < BESIDE_LABEL[0] * unit
        and 0 < token.line.box[0] - label.box[2] < FORM_GAP * unit
        and not any(
            abs(other.centre[1] - label.centre[1]) < BESIDE_LABEL[0] * unit
            and label.box[2] <= other.centre[0] <= token.line.box[0]
            for other in others
        )
    ]
    return min(beside, key=lambda token: token.line.box[0], default=None)


def _same_row(first: OcrLine, second: OcrLine, unit: float) -> bool:
    return abs(first.centre[1] - second.centre[1]) < SAME_ROW * unit


# --- extraction ---------------------------------------------------------------------------


class _Reader:
    """One card's lines, and the fields found in them so far."""

    def __init__(self, lines: list[OcrLine]) -> None:
        lines = _unshared(lines)
        self.lines = lines
        self.labels, values = split_labels(lines)
        self.unit = _value_unit(values)
        self.values = _split_by_columns(values, self.labels, self.unit)
        self.result = Extraction(labels=self.labels, unit=self.unit)
        self.result.phrases = frozenset(
            phrase for line in lines if (phrase := _is_printed_phrase(line.text)) is not None
        )
        self.result.other_document = any(
            title in squash(line.text) for line in lines for title in OTHER_DOCUMENT_TITLES
        )
        self.numbers = _tokens(self.values, rules.NUMBER_PATTERN, _number_value)
        self.dates = _tokens(
            self.values, rules.DATE_PATTERN, _date_value, besides=rules.NUMBER_PATTERN
        ) + _tokens(self.values, rules.LIFETIME_PATTERN, _date_value)
        self.result.dates = len(self.dates)
        self.taken: dict[str, OcrLine] = {}

    def put(self, key: str, token: _Token, source: str, value_of: ValueParser) -> None:
        line = token.line
        score, weakest = line.score, line.weakest
        if key == "gender":  # a lone letter shows no case: "x" and "X" split the confidence
            score = weakest = max(line.score, line.caseless)
        elif key == "country" and token.value != _name_value(line.text):
            score, weakest = _agreeing_confidence(line, token.value)
        self.result.fields[key] = FieldReading(
            token.value, score, source, weakest, _rival(line, value_of), box=line.box
        )
        self.taken[key] = line

    def _value_under(self, label: Label | None, candidates: list[_Token]) -> _Token | None:
        line = self.labels.get(label) if label is not None else None
        return _nearest_under(line, candidates, self.unit, self.labels.values())

    def run(self) -> Extraction:
        self.read_number()
        self.read_dates()
        self.read_gender()
        self.read_country()
        self.read_names()
        return self.result

    def read_number(self) -> None:
        if not self.numbers:
            return
        token = self._value_under(Label.IDENTITY_NUMBER, self.numbers)
        source = "label"
        if token is None:
            # The front's number stands among its dates; a back's, or a paper's, alone.
            token = max(self.numbers, key=lambda t: (self._dates_near(t.line), t.line.score))
            source = "rules"
        self.put("idNumber", token, source, _number_value)
        self.result.script_lines_near_number = sum(
            1
            for line in self.lines
            if (line.score < LATIN_CONFIDENCE or not any(ch.isalnum() for ch in line.text))
            and self._near(line, token.line, SCRIPT_NEIGHBOURHOOD)
        )

    def _dates_near(self, line: OcrLine) -> int:
        return sum(
            1
            for token in self.dates
            if abs(token.line.centre[1] - line.centre[1]) < 4 * self.unit
            and abs(token.line.centre[0] - line.centre[0]) < 12 * self.unit
        )

    def read_dates(self) -> None:
        """Birth, issue and expiry: by their labels where read, else by the card's own rules.

        A card's dates keep birth < issue < expiry (or "Lifetime"), so three dates need no
        label to tell them apart; a label that disagrees with that order leaves the field out.
        """
        keys = ("birthDay", "issueDay", "expiryDay")
        by_label: dict[str, _Token] = {}
        for key, label in zip(keys, (Label.BIRTH, Label.ISSUE, Label.EXPIRY), strict=True):
            token = self._value_under(label, self.dates)
            if token is not None:
                by_label[key] = token
        chosen = self._dates_by_rules(by_label)
        for key in keys:
            token = chosen.get(key) or by_label.get(key)
            if token is None:
                continue
            if key in by_label and by_label[key] is not token:
                continue  # the label and the rules disagree: not trusted either way
            if any(other is token for other_key, other in by_label.items() if other_key != key):
                continue  # the rules chose the value of another field's label
            self.put(key, token, "label" if key in by_label else "rules", _date_value)
            if token.value == LIFETIME:
                if key != "expiryDay":
                    del self.result.fields[key]
            else:
                self.result.parsed_dates[key] = datetime.strptime(token.value, DATE_FORMAT).date()
        if "birthDay" not in self.result.fields:
            self._read_birth_year()

    def _dates_by_rules(self, by_label: dict[str, _Token]) -> dict[str, _Token]:
        """The (birth, issue, expiry) among the dates read that the card's rules allow.

        Each triple in order is scored by how many labels agree with it, whether its issue and
        expiry are a known validity period apart, and how close it sits to the number.
        """
        candidates = self.dates
        number = self.taken.get("idNumber")
        if number is not None:
            near = [t for t in candidates if self._near(t.line, number, 8)]
            candidates = near if len(near) >= 2 else candidates
        best: tuple[tuple[int, int, int], dict[str, _Token]] = ((-1, -1, -1), {})
        for size in (3, 2):
            for triple in combinations(candidates, size):
                for assignment in self._orders(triple):
                    agree = sum(1 for key, token in assignment.items() if by_label.get(key) is token)
                    score = (size, agree, self._validity_fits(assignment))
                    if score > best[0]:
                        best = (score, assignment)
            if best[1]:
                break
        return best[1]

    @staticmethod
    def _orders(tokens: tuple[_Token, ...]) -> Iterator[dict[str, _Token]]:
        """Ways the tokens can be (birth, issue, expiry) in the card's date order."""
        lifetime = [t for t in tokens if t.value == LIFETIME]
        dated = sorted((t for t in tokens if t.value != LIFETIME), key=lambda t: t.value)
        if len(lifetime) > 1 or len({t.value for t in dated}) < len(dated):
            return
        if lifetime:
            keys: tuple[str, ...] = ("birthDay", "issueDay") if len(dated) == 2 else ("issueDay",)
            yield {**dict(zip(keys, dated, strict=True)), "expiryDay": lifetime[0]}
        elif len(dated) == 3:
            yield dict(zip(("birthDay", "issueDay", "expiryDay"), dated, strict=True))
        elif len(dated) == 2:
            yield dict(zip(("issueDay", "expiryDay"), dated, strict=True))
            yield dict(zip(("birthDay", "issueDay"), dated, strict=True))

    @staticmethod
    def _validity_fits(assignment: dict[str, _Token]) -> int:
        issue, expiry = assignment.get("issueDay"), assignment.get("expiryDay")
        if issue is None or expiry is None:
            return 0
        if expiry.value == LIFETIME:
            return 1
        issued = datetime.strptime(issue.value, DATE_FORMAT).date()
        expires = datetime.strptime(expiry.value, DATE_FORMAT).date()
        return int(rules.check_validity(issued, expires).passed)

    def _near(self, line: OcrLine, other: OcrLine, heights: float) -> bool:
        return (
            abs(line.centre[1] - other.centre[1]) < heights * self.unit
            and abs(line.centre[0] - other.centre[0]) < 2 * heights * self.unit
        )

    def _read_birth_year(self) -> None:
        """A birth printed as a bare year ("1973"): under its label, or beside the number.

        The year stands alone on its line; a year inside other text is no birth date.
        """
        years = [_Token(year, line) for line in self.values if (year := _year_value(line.text)) is not None]
        anchor = self.labels.get(Label.BIRTH)
        number = self.taken.get("idNumber")
        for token in years:
            if (anchor is not None and self._value_under(Label.BIRTH, [token]) is token) or (
                anchor is None and number is not None and _same_row(token.line, number, self.unit)
            ):
                self.put("birthDay", token, "label" if anchor is not None else "position", _year_value)
                return

    def read_gender(self) -> None:
        letters = _tokens(self.values, re.compile(r"^.*$"), _gender_value)
        token = self._value_under(Label.GENDER, letters)
        source = "label"
        number = self.taken.get("idNumber")
        if token is None and number is not None:
            above = [
                t
                for t in letters
                if abs(t.line.box[0] - number.box[0]) < 2 * self.unit
                and GENDER_ABOVE_NUMBER[0]
                < (number.centre[1] - t.line.centre[1]) / self.unit
                < GENDER_ABOVE_NUMBER[1]
            ]
            token = max(above, key=lambda t: t.line.centre[1], default=None)
            source = "position"
        if token is not None:
            self.put("gender", token, source, _gender_value)

    def read_country(self) -> None:
        names = self._name_tokens(_country_value)
        token = self._value_under(Label.COUNTRY, names)
        source = "label"
        gender = self.taken.get("gender")
        if token is None and gender is not None:
            beside = [
                t
                for t in names
                if _same_row(t.line, gender, self.unit) and 0 < t.line.box[0] - gender.box[2] < 12 * self.unit
            ]
            token = min(beside, key=lambda t: t.line.box[0], default=None)
            source = "position"
        if token is not None:
            self.put("country", token, source, _country_value)

    def _name_tokens(self, parse: ValueParser = _name_value) -> list[_Token]:
        """Lines that read as names (or countries, with ``_country_value``), but for values
        taken and labels misread ("Geder")."""
        taken = set(map(id, self.taken.values()))
        return [
            _Token(value, line)
            for line in self.values
            if id(line) not in taken
            and not line.window
            and (value := parse(line.text)) is not None
            and not _like_a_label(line, frozenset(self.labels))
        ]

    def read_names(self) -> None:
        """The holder's and the father's (or husband's) name: under their labels, or else the
        two Latin name lines nearest above the grid of values, in the number's column.
        """
        names = self._name_tokens()
        father_label = next(
            (label for label in (Label.HUSBAND_NAME, Label.FATHER_NAME) if label in self.labels), None
        )
        name = self._value_under(Label.NAME, names)
        father = self._value_under(father_label, names)
        sources = {"name": "label", "fatherName": "label"}
        if name is None or father is None:
            column = self._name_column(names)
            if name is not None:
                column = [t for t in column if t.line.centre[1] > name.line.centre[1]]
            if father is not None:
                column = [t for t in column if t.line.centre[1] < father.line.centre[1]]
            column = [t for t in column if t is not name and t is not father]
            if father is None and name is not None and column:
                father, sources["fatherName"] = column[0], "position"
            elif name is None and father is not None and column:
                name, sources["name"] = column[-1], "position"
            elif name is None and father is None and len(column) >= 2 and self._evenly_spaced(column[-2:]):
                (name, father), sources = column[-2:], {"name": "position", "fatherName": "position"}
        name, father = _as_common_name(name), _as_common_name(father)
        for key, token in (("name", name), ("fatherName", father)):
            if token is not None:
                self.put(key, token, sources[key], _name_value)
        if name is not None and father is not None:
            self.result.fields["name"].echoed_rival = _echoed_rival(name.line, name.value, father.value)
            self.result.fields["fatherName"].echoed_rival = _echoed_rival(
                father.line, father.value, name.value
            )

    def _evenly_spaced(self, pair: list[_Token]) -> bool:
        """Whether two name lines are the card's two names: as far apart as the lower one is
        from the grid (each name has its Urdu line under it). A line of the header above a
        name that was not read is much farther away."""
        grid_top = min(
            self.taken[key].centre[1] for key in ("gender", "country", "idNumber") if key in self.taken
        )
        first, second = (token.line.centre[1] for token in pair)
        gaps = second - first, grid_top - second
        return abs(gaps[0] - gaps[1]) < 0.4 * max(gaps)

    def _name_column(self, names: list[_Token]) -> list[_Token]:
        """Name lines above the grid (the gender, country and number rows), top to bottom."""
        grid = [self.taken[key] for key in ("gender", "country", "idNumber") if key in self.taken]
        if not grid:
            return []
        top = min(line.centre[1] for line in grid)
        left = min(line.box[0] for line in grid)
        column = [
            t
            for t in names
            if t.line.centre[1] < top - SAME_ROW * self.unit
            and abs(t.line.box[0] - left) < NAME_COLUMN * self.unit
            and t.line.height >= VALUE_TYPE * self.unit
        ]
        return sorted(column, key=lambda t: t.line.centre[1])


def extract(lines: list[OcrLine]) -> Extraction:
    """Find the eight fields in a card's lines; missing or doubtful fields are left out."""
    return _Reader(lines).run()


#: The card's text reaches this many value heights beyond its labels and values read.
CARD_MARGIN = 3.0


def card_extent(extraction: Extraction) -> tuple[float, float, float, float] | None:
    """The box of the card's labels and values that were read, with a margin for those that
    were not (view pixels); None when none was read."""
    boxes = [line.box for line in extraction.labels.values()]
    boxes += [reading.box for reading in extraction.fields.values()]
    if not boxes:
        return None
    margin = CARD_MARGIN * extraction.unit
    return (
        max(0.0, min(box[0] for box in boxes) - margin),
        max(0.0, min(box[1] for box in boxes) - margin),
        max(box[2] for box in boxes) + margin,
        max(box[3] for box in boxes) + margin,
    )


def gender_region(extraction: Extraction) -> tuple[float, float, float, float] | None:
    """Where the gender letter must be when it was not detected (a lone letter often is not):
    on the country's row, under the ``Gender`` label or else in the number's column (view
    pixels); without the country, under the label down to the next label.

    The country is a detected value: its row is where the letter stands, even when the label's
    detected box is too tall and reaches down over the letter (small type seen at a slant).
    The region stops at a label under it, whose top would otherwise be read with the letter.
    """
    unit = extraction.unit
    label = extraction.labels.get(Label.GENDER)
    country = extraction.fields.get("country")
    number = extraction.fields.get("idNumber")
    if label is not None:
        left, right = label.box[0] - 0.4 * unit, label.box[0] + 3 * unit
        country_label = extraction.labels.get(Label.COUNTRY)
        if country_label is not None and country_label.box[0] > label.box[0]:
            right = min(right, country_label.box[0] - 0.1 * unit)
    elif number is not None:
        left, right = number.box[0] - 0.4 * unit, number.box[0] + 2 * unit
    elif country is not None:
        left, right = country.box[0] - 4 * unit, country.box[0]
    else:
        return None
    if country is not None:
        middle = (country.box[1] + country.box[3]) / 2
        top, bottom = country.box[1] - 0.2 * unit, country.box[3] + 0.2 * unit
        if label is None:
            right = min(right, country.box[0] - 0.2 * unit)
        else:  # not into the label's text, unless its box reaches down over the row
            top = max(top, min(label.box[3], middle - 0.5 * unit))
    elif label is not None:
        top, bottom = label.box[3] + 0.05 * unit, label.box[3] + 1.6 * unit
        middle = label.box[3]
    else:
        return None
    below = [
        other.box[1]
        for other in extraction.labels.values()
        if other.box[1] > middle and other.box[0] < right and other.box[2] > left
    ]
    return left, top, right, min([bottom, *below])
