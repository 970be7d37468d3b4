"""Front or not, and which FAIL: decided from all the evidence the lines give (no engine).

Lines are placed in pixels of an upright view, as the scene gives them; values 30 px high,
labels 18 px (about 0.6 x the values, as on real cards).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cnic_ocr.recognizer.fields import OcrLine, extract, gender_region
from cnic_ocr.recognizer.labels import Label
from cnic_ocr.recognizer.service import CardReading, Recognizer, agreed, front_evidence


def line(text: str, x: float, y: float, height: float = 30, score: float = 0.99) -> OcrLine:
    width = 0.55 * height * max(len(text), 1)
    return OcrLine(text=text, score=score, box=(x, y, x + width, y + height), weakest=score)


def label(text: str, x: float, y: float) -> OcrLine:
    return line(text, x, y, height=18)


HEADER = [line("PAKISTAN", 150, 20, 45), line("National Identity Card", 450, 30, 30)]
VALUES = [
    line("Tariq Mehmood", 250, 110),
    line("\u0627\u0628\u062c", 450, 160, score=0.2),  # the Urdu name: not a Latin value
    line("Mehmood Akhtar", 250, 230),
    line("\u0627\u0628\u062c", 450, 280, score=0.2),
    line("M", 250, 350),
    line("Pakistan", 450, 350),
    line("35202-1234567-3", 250, 440),
    line("14.09.1990", 450, 440),
    line("09.03.2020", 250, 530),
    line("09.03.2030", 450, 530),
]
LABELS = [
    label("Name", 250, 85),
    label("Father Name", 250, 205),
    label("Gender", 250, 325),
    label("Country of Stay", 450, 325),
    label("Identity Number", 250, 415),
    label("Date of Birth", 450, 415),
    label("Date of Issue", 250, 505),
    label("Date of Expiry", 450, 505),
]
TRUTH = {
    "idNumber": "35202-1234567-3",
    "name": "Tariq Mehmood",
    "fatherName": "Mehmood Akhtar",
    "gender": "M",
    "country": "Pakistan",
    "birthDay": "19900914",
    "issueDay": "20200309",
    "expiryDay": "20300309",
}


def answer(lines: list[OcrLine]) -> dict[str, Any]:
    recognizer = Recognizer(engine=object(), today=lambda: date(2026, 11, 30))  # type: ignore[arg-type]
    reading: Any = CardReading(extract(lines), scene=None, lines=lines)  # type: ignore[arg-type]
    return recognizer._answer(reading)


def test_a_front_with_every_label_read_is_ok() -> None:
    assert answer(HEADER + LABELS + VALUES) == {"status": "OK", "message": TRUTH}


def test_a_front_whose_labels_are_too_small_to_read_is_still_read() -> None:
    """Title, number and dates show a front; the card's rules and the values' own places
    give every field (birth < issue < expiry; the names above the grid, in its column)."""
    extraction = extract(HEADER + VALUES)
    assert front_evidence(extraction) == ["title", "number_and_dates"]
    assert answer(HEADER + VALUES) == {"status": "OK", "message": TRUTH}
    assert {reading.source for reading in extraction.fields.values()} == {"rules", "position"}


def test_labels_misread_as_name_like_words_are_not_names() -> None:
    """Labels are printed smaller than values: a label garbled into a title-case word
    ("Wacne", "Co See Nexo") is not taken for one of the names above the grid."""
    garbled = [label("Wacne", 250, 85), label("Co See Nexo", 250, 205)]
    assert answer(HEADER + VALUES + garbled) == {"status": "OK", "message": TRUTH}


def test_no_label_and_no_title_but_number_and_dates_is_a_front() -> None:
    assert answer(VALUES) == {"status": "OK", "message": TRUTH}


def test_a_front_with_a_field_unread_asks_for_another_image() -> None:
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Mehmood Akhtar"]
    assert answer(lines) == {"status": "FAIL", "message": "check input image and retry"}


def test_only_the_title_and_labels_of_a_front_asks_for_another_image() -> None:
    assert answer(HEADER + LABELS) == {"status": "FAIL", "message": "check input image and retry"}


def test_the_back_with_its_number_is_not_an_identity_card() -> None:
    back = [
        line("\u067e\u062a\u06c1", 100, 60, score=0.1),
        line("35202-1234567-3", 700, 40),
        line("20231145067", 700, 420),
        line("305-12-774210", 700, 460),
        line("Registrar General of Pakistan", 80, 500, 20),
    ]
    assert front_evidence(extract(back)) == []
    assert answer(back) == {"status": "FAIL", "message": "not identity card"}


def test_a_driving_licence_names_itself_and_is_not_an_identity_card() -> None:
    licence = [
        line("DRIVING LICENCE", 300, 20, 45),
        line("Name", 300, 100, 18),
        line("Tariq Mehmood", 300, 130),
        line("CNIC No.", 300, 200, 18),
        line("35202-1234567-3", 300, 230),
        line("Issue Date", 300, 300, 18),
        line("09-03-2020", 300, 330),
        line("Valid Till", 300, 400, 18),
        line("08-03-2025", 300, 430),
    ]
    assert answer(licence) == {"status": "FAIL", "message": "not identity card"}


def test_a_passport_page_without_the_cards_own_labels_is_not_an_identity_card() -> None:
    passport = [
        line("ISLAMIC REPUBLIC OF PAKISTAN", 200, 20),
        label("Surname", 300, 100),
        line("MEHMOOD", 300, 125),
        label("Father Name", 300, 200),
        line("MEHMOOD AKHTAR", 300, 225),
        label("Date of Birth", 600, 200),
        line("14 SEP 1990", 600, 225),
        label("Date of Issue", 300, 300),
        line("09 MAR 2020", 300, 325),
        label("Citizenship Number", 40, 400),
        line("35202-1234567-3", 40, 425),
    ]
    assert answer(passport) == {"status": "FAIL", "message": "not identity card"}


def test_a_merged_gender_and_country_line_is_split_at_the_country_label() -> None:
    """Two values close on one row are detected as one line ("MPakistan")."""
    xs = (258.0, *(460.0 + 20 * index for index in range(8)))
    merged = OcrLine("MPakistan", 0.99, (250, 350, 630, 380), 0.99, 0.99, (), (0.99,) * 9, xs)
    lines = [item for item in HEADER + LABELS + VALUES if item.text not in ("M", "Pakistan")] + [merged]
    fields = extract(lines).fields
    assert (fields["gender"].value, fields["country"].value) == ("M", "Pakistan")


def test_a_value_reaching_just_past_the_next_column_is_split_there() -> None:
    """The detector joins the gender letter to the country's first letter ("MP"): the split
    falls by where the characters are, however little the line runs past the column."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text not in ("M", "Pakistan")]
    joined = OcrLine("MP", 0.99, (250, 350, 462, 380), 0.99, 0.99, (), (0.99, 0.99), (258.0, 455.0))
    rest = line("akistan", 466, 350)
    fields = extract([*lines, joined, rest]).fields
    assert fields["gender"].value == "M"


def test_a_country_snapped_to_the_vocabulary_is_as_sure_as_its_other_letters() -> None:
    """One unsure letter that the countries' names replace is no doubt about the country;
    unsure letters elsewhere are."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Pakistan"]

    def country(confidences: tuple[float, ...]) -> OcrLine:
        mean = sum(confidences) / len(confidences)
        return OcrLine("Palistan", mean, (450, 350, 582, 380), min(confidences), mean, (), confidences)

    one_unsure = country((0.99, 0.99, 0.35, 0.99, 0.99, 0.99, 0.99, 0.99))
    assert answer([*lines, one_unsure]) == {"status": "OK", "message": TRUTH}
    two_unsure = country((0.99, 0.99, 0.35, 0.99, 0.99, 0.3, 0.99, 0.99))
    assert answer([*lines, two_unsure])["status"] == "FAIL"


def test_a_rival_letter_is_settled_by_common_name_words_only() -> None:
    """ "Tariq" with "g" as a strong second choice is Tariq: "Tarig" is no name's word. A rare
    name's rival reading is another rare name, and stays a doubt."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Tariq Mehmood"]

    def name(text: str, doubtful: int, rival: str) -> OcrLine:
        rivals = tuple((rival, 0.3) if index == doubtful else ("", 0.0) for index in range(len(text)))
        return OcrLine(text, 0.95, (250, 110, 450, 140), 0.6, 0.95, rivals, (0.95,) * len(text))

    assert answer([*lines, name("Tariq Mehmood", 4, "g")]) == {"status": "OK", "message": TRUTH}
    rare = answer([*lines, name("Zorak Mehmood", 3, "e")])
    assert rare == {"status": "FAIL", "message": "check input image and retry"}


def test_a_rare_reading_whose_rival_letter_makes_common_name_words_is_that_name() -> None:
    """ "Tarig" with "q" second is Tariq: the model split its belief between two letters, and
    the name words tell them apart. Two rivals making two different common names settle
    nothing."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Tariq Mehmood"]

    def name(text: str, rivals_at: dict[int, str]) -> OcrLine:
        confidences = tuple(0.6 if index in rivals_at else 0.97 for index in range(len(text)))
        rivals = tuple(
            (rivals_at[index], 0.35) if index in rivals_at else ("", 0.0) for index in range(len(text))
        )
        mean = sum(confidences) / len(confidences)
        return OcrLine(text, mean, (250, 110, 450, 140), 0.6, mean, rivals, confidences)

    assert answer([*lines, name("Tarig Mehmood", {4: "q"})]) == {"status": "OK", "message": TRUTH}
    two_names = answer([*lines, name("Abil Mehmood", {1: "d", 3: "d"})])  # Adil or Abid
    assert two_names == {"status": "FAIL", "message": "check input image and retry"}


def answer_views(*views: list[OcrLine]) -> dict[str, Any]:
    recognizer = Recognizer(engine=object(), today=lambda: date(2026, 11, 30))  # type: ignore[arg-type]
    fused = agreed([extract(lines) for lines in views])
    return recognizer._answer(CardReading(fused, scene=None, lines=views[0]))  # type: ignore[arg-type]


def with_name(text: str, score: float = 0.99) -> list[OcrLine]:
    return [item for item in HEADER + LABELS + VALUES if item.text != "Tariq Mehmood"] + [
        line(text, 250, 110, score=score)
    ]


def test_two_views_that_read_a_value_alike_answer_it() -> None:
    card = HEADER + LABELS + VALUES
    assert answer_views(card, card) == {"status": "OK", "message": TRUTH}


def test_a_value_two_views_read_differently_is_not_answered() -> None:
    """Each view trusts its reading of the number: one of them is a misread."""
    card = HEADER + LABELS + VALUES
    other = [item if item.text != "35202-1234567-3" else line("35202-1284567-3", 250, 440) for item in card]
    assert answer_views(card, other) == {"status": "FAIL", "message": "check input image and retry"}


def test_two_views_reading_two_names_of_common_words_are_not_settled() -> None:
    assert answer_views(with_name("Tariq Mehmood"), with_name("Tahir Mehmood")) == {
        "status": "FAIL",
        "message": "check input image and retry",
    }


def test_a_name_of_common_words_stands_against_another_views_reading_that_is_none() -> None:
    """The other view's "Zariq" is no common name word: a rival that is no name, as within
    one reading."""
    expected = {"status": "OK", "message": TRUTH}
    assert answer_views(with_name("Zariq Mehmood"), with_name("Tariq Mehmood")) == expected
    unsure = answer_views(with_name("Zariq Mehmood"), with_name("Tariq Mehmood", score=0.7))
    assert unsure == {"status": "FAIL", "message": "check input image and retry"}


def test_a_value_one_view_trusts_and_the_other_reads_alike_unsure_is_trusted() -> None:
    assert answer_views(with_name("Tariq Mehmood", score=0.7), with_name("Tariq Mehmood")) == {
        "status": "OK",
        "message": TRUTH,
    }


def test_a_field_one_view_missed_is_the_others() -> None:
    card = HEADER + LABELS + VALUES
    without_gender = [item for item in card if item.text != "M"]
    assert answer_views(without_gender, card) == {"status": "OK", "message": TRUTH}


URDU_LINE = "\u0627\u0628\u062c"


def test_a_number_and_one_date_among_urdu_lines_is_the_older_front() -> None:
    """The older card prints only its number and birth date in Latin script, among Urdu lines
    the engine cannot read: a CNIC front, answered "retry" with the reason."""
    urdu = [line(URDU_LINE, 450, 60 + 60 * row, score=0.3) for row in range(5)]
    lines = [line("35202-1234567-3", 200, 20), *urdu, line("14/09/1990", 250, 340)]
    extraction = extract(lines)
    assert front_evidence(extraction) == ["number_and_dates"]
    assert answer(lines) == {"status": "FAIL", "message": "check input image and retry"}
    recognizer = Recognizer(engine=object(), today=lambda: date(2026, 11, 30))  # type: ignore[arg-type]
    assert any("older non-chip card" in problem for problem in recognizer._problems(extraction))


def test_a_letter_quoting_a_number_and_dated_is_not_a_front() -> None:
    prose = [
        line("Date: 23.03.2025", 40, 20),
        line("Subject: Request for account statement", 40, 80),
        line("Please find the payment received for the order", 40, 140),
        line("Contact the office within the working days", 40, 200),
        line("Yours sincerely", 40, 260),
        line("CNIC No: 35202-1234567-3", 40, 320),
    ]
    assert answer(prose) == {"status": "FAIL", "message": "not identity card"}


def test_a_country_is_read_against_the_countries_cards_print() -> None:
    """One letter from exactly one country's name is that country misread; a title-case name
    near no country is taken as printed; one near a country but not one letter off is refused."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Pakistan"]
    assert answer([*lines, line("Pakistam", 450, 350)]) == {"status": "OK", "message": TRUTH}
    saudi = answer([*lines, line("Saudi Arabia", 450, 350)])
    assert saudi["status"] == "OK" and saudi["message"]["country"] == "Saudi Arabia"
    assert answer([*lines, line("Pekistam", 450, 350)]) == {
        "status": "FAIL",
        "message": "check input image and retry",
    }


def test_the_gender_letter_is_looked_for_between_its_label_and_the_next() -> None:
    """A lone letter often escapes detection: its box is read on its own, and must not reach
    into the label under it (whose top would be read with the letter)."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "M"]
    extraction = extract(lines)
    assert "gender" not in extraction.fields
    region = gender_region(extraction)
    assert region is not None
    gender_label = next(item for item in LABELS if item.text == "Gender")
    number_label = next(item for item in LABELS if item.text == "Identity Number")
    assert region[1] >= gender_label.box[3] and region[3] <= number_label.box[1]
    assert region[0] < gender_label.box[0] < region[2]


def test_the_gender_letter_is_looked_for_on_the_countrys_row() -> None:
    """Small type seen at a slant: the label's detected box reaches down over the letter, so
    the letter is not under the label's box; it stands on the country's row, left of it."""
    tall_label = OcrLine("Gender", 0.99, (250, 325, 310, 368), 0.99)
    lines = [item for item in HEADER + LABELS + VALUES if item.text not in ("M", "Gender")] + [tall_label]
    region = gender_region(extract(lines))
    assert region is not None
    letter = next(item for item in VALUES if item.text == "M")
    country = next(item for item in VALUES if item.text == "Pakistan")
    assert region[1] <= letter.box[1] and region[3] >= letter.box[3]
    assert region[0] <= letter.box[0] and region[2] < country.box[0]


def test_a_digit_read_twice_where_two_values_boxes_overlap_is_kept_once() -> None:
    """The number's box reaches over the first digit of the date after it on the row, or the
    date's box back over the number's last digit: that digit is read in both lines. It is
    dropped from the line it leaves a number or a date in."""
    number_text, date_text = "35202-1234567-3", "14.09.1990"
    lines = [item for item in HEADER + LABELS + VALUES if item.text not in (number_text, date_text)]

    def read(text: str, x: float) -> OcrLine:
        xs = tuple(x + 5 + 12 * index for index in range(len(text)))
        return OcrLine(text, 0.99, (x, 440, xs[-1] + 6, 470), 0.99, 0.99, (), (0.99,) * len(text), xs)

    number = read(number_text + "1", 250)  # ends over the date's box, with its "1"
    assert answer([*lines, number, read(date_text, 425)]) == {"status": "OK", "message": TRUTH}
    date_over_number = read("3" + date_text, 420)  # starts over the number's box, with its "3"
    assert answer([*lines, read(number_text, 250), date_over_number]) == {"status": "OK", "message": TRUTH}


def test_without_its_label_the_gender_letter_is_looked_for_in_the_numbers_column() -> None:
    """The country may stand far right of the letter (here 6 value heights): the letter stands
    in the number's column, on the country's row."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text not in ("M", "Gender")]
    region = gender_region(extract(lines))
    assert region is not None
    letter = next(item for item in VALUES if item.text == "M")
    country = next(item for item in VALUES if item.text == "Pakistan")
    assert region[0] <= letter.box[0] < letter.box[2] <= region[2] < country.box[0]
    assert region[1] <= letter.box[1] and letter.box[3] <= region[3]


def test_a_label_read_without_its_first_letters_starts_its_column_where_it_is_printed() -> None:
    """ "ntry of Stay": the label's box was cut. Placed where its read letters stand, its
    column would start inside "Pakistan", which would be split there as a merged value."""
    cut = OcrLine("ntry of Stay", 0.95, (450 + 3 * 9.9, 325, 450 + 15 * 9.9, 343), 0.95)
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Country of Stay"] + [cut]
    assert answer(lines) == {"status": "OK", "message": TRUTH}
    assert extract(lines).labels[Label.COUNTRY].box[0] == pytest.approx(450, abs=9)


def test_a_country_printed_with_a_comma_is_read_as_printed() -> None:
    """ "China, Mainland" is how cards print it: no name's shape, but a country they print."""
    lines = [item for item in HEADER + LABELS + VALUES if item.text != "Pakistan"]
    body = answer([*lines, line("China, Mainland", 450, 350)])
    assert body == {"status": "OK", "message": {**TRUTH, "country": "China, Mainland"}}


def test_a_part_of_a_script_line_read_for_its_digits_gives_no_name() -> None:
    """The Urdu line under the father's name, holding digits, is read again in parts; a part
    whose garbled letters look like a name ("Wwles") is not the name under the father's."""
    script_part = OcrLine("wwles", 0.7, (250, 280, 320, 310), 0.6, window=True)
    assert answer(HEADER + VALUES + [script_part]) == {"status": "OK", "message": TRUTH}


def test_a_value_under_its_label_stands_against_a_guess_at_another_place() -> None:
    """One view read the name labels; the other did not, and took the name lines by their
    places, one line too low (a name-like line under the father's): they disagree on where
    the names are, and the labels say where. The same line read two ways stays disputed."""
    no_labels = [item for item in HEADER + VALUES if item.text != "\u0627\u0628\u062c"]
    one_too_low = [*no_labels, line("Akhtar Mehmood", 250, 290)]
    under_labels = HEADER + LABELS + VALUES
    guessed = extract(one_too_low).fields
    assert (guessed["name"].value, guessed["name"].source) == ("Mehmood Akhtar", "position")
    expected = {"status": "OK", "message": TRUTH}
    assert answer_views(under_labels, one_too_low) == expected
    assert answer_views(one_too_low, under_labels) == expected
    misread_in_place = [
        item if item.text != "Mehmood Akhtar" else line("Mehmood Akhter", 250, 230) for item in no_labels
    ]
    assert extract(misread_in_place).fields["fatherName"].source == "position"
    assert answer_views(under_labels, misread_in_place) == {
        "status": "FAIL",
        "message": "check input image and retry",
    }
