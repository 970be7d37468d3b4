"""Field extraction from OCR lines with geometry (no engine: lines are given)."""

from dataclasses import replace

import pytest

from cnic_ocr.recognizer.fields import OcrLine, extract, split_labels
from cnic_ocr.recognizer.labels import Label


def line(text: str, x: float, y: float, w: float = 0.15, h: float = 0.04, score: float = 0.98) -> OcrLine:
    return OcrLine(text=text, score=score, box=(x, y, x + w, y + h))


def card_lines(father_label: str = "Father Name") -> list[OcrLine]:
    return [
        line("PAKISTAN", 0.05, 0.03),
        line("National Identity Card", 0.55, 0.05, w=0.3),
        line("Name", 0.27, 0.19, w=0.06, h=0.03),
        line("Janat Mirza", 0.27, 0.24, w=0.2),
        line("جنت مرزا", 0.27, 0.30, score=0.4),
        line(father_label, 0.27, 0.39, w=0.12, h=0.03),
        line("Mirza Anjum Kamal", 0.27, 0.44, w=0.25),
        line("Gender", 0.27, 0.59, w=0.07, h=0.03),
        line("F", 0.27, 0.64, w=0.02),
        line("Country of Stay", 0.46, 0.59, w=0.12, h=0.03),
        line("Pakistan", 0.46, 0.64, w=0.1),
        line("Identity Number", 0.27, 0.72, w=0.12, h=0.03),
        line("33100-7411692-4", 0.27, 0.77, w=0.17),
        line("Date of Birth", 0.46, 0.72, w=0.1, h=0.03),
        line("14.09.2001", 0.46, 0.77, w=0.11),
        line("Date of Issue", 0.27, 0.85, w=0.1, h=0.03),
        line("09.03.2020", 0.27, 0.90, w=0.11),
        line("Date of Expiry", 0.46, 0.85, w=0.1, h=0.03),
        line("09.03.2030", 0.46, 0.90, w=0.11),
        line("Holder's Signature", 0.72, 0.92, w=0.2),
    ]


CARD_VALUES = {
    "name": "Janat Mirza",
    "fatherName": "Mirza Anjum Kamal",
    "gender": "F",
    "country": "Pakistan",
    "idNumber": "33100-7411692-4",
    "birthDay": "20010914",
    "issueDay": "20200309",
    "expiryDay": "20300309",
}


def label_of(text_line: OcrLine) -> Label | None:
    """The label a whole line is, if it is one and nothing else."""
    labels, values = split_labels([text_line])
    return next(iter(labels)) if len(labels) == 1 and not values else None


def values(lines: list[OcrLine]) -> dict[str, str]:
    return {key: reading.value for key, reading in extract(lines).fields.items()}


def test_pairs_every_value_with_its_label() -> None:
    assert values(card_lines()) == CARD_VALUES


def test_husband_name_label_gives_father_name_field() -> None:
    assert values(card_lines("Husband Name"))["fatherName"] == "Mirza Anjum Kamal"


def test_a_name_that_reads_like_a_label_the_card_printed_elsewhere_is_a_name() -> None:
    """ "Irfan Ahmed" is as near "fathername" as a misread label; a card prints the father's or
    the husband's name label once, and its "Husband Name" was read."""
    lines = with_value("Mirza Anjum Kamal", line("Irfan Ahmed", 0.27, 0.44, w=0.2))
    lines = [replace(ln, text="Husband Name") if ln.text == "Father Name" else ln for ln in lines]
    assert values(lines)["fatherName"] == "Irfan Ahmed"


def test_label_matching_tolerates_ocr_noise_but_not_other_words() -> None:
    assert label_of(line("Date of Brth", 0, 0)) is Label.BIRTH
    assert label_of(line("ldentity Numbcr", 0, 0)) is Label.IDENTITY_NUMBER
    assert label_of(line("Nane", 0, 0)) is None  # short words need a near-exact match
    assert label_of(line("Muhammad Ali Khan", 0, 0)) is None


def test_lifetime_expiry() -> None:
    lines = [ln if ln.text != "09.03.2030" else line("Lifetime", 0.46, 0.90) for ln in card_lines()]
    result = extract(lines)
    assert result.fields["expiryDay"].value == "LIFETIME"
    assert result.lifetime


def test_a_birth_date_printed_as_a_year_is_the_year() -> None:
    lines = [ln if ln.text != "14.09.2001" else line("1958", 0.46, 0.77, w=0.05) for ln in card_lines()]
    result = extract(lines)
    assert result.birth_year_only
    assert {key: result.fields[key].value for key in ("birthDay", "issueDay", "expiryDay")} == {
        "birthDay": "1958",
        "issueDay": "20200309",
        "expiryDay": "20300309",
    }


def test_a_year_inside_other_text_is_no_birth_year() -> None:
    lines = [ln if ln.text != "14.09.2001" else line("Since 1958", 0.46, 0.77) for ln in card_lines()]
    result = extract(lines)
    assert not result.birth_year_only
    assert "birthDay" not in result.fields


def test_a_value_under_a_nearer_label_is_that_labels() -> None:
    """With no date on the birth row, the expiry date is within reach of "Date of Birth" two
    rows up; it belongs to "Date of Expiry", right above it."""
    lines = [
        line("Date of Birth", 0.46, 0.63, w=0.1, h=0.03),
        line("1958", 0.46, 0.665, w=0.05),
        line("Date of Issue", 0.27, 0.70, w=0.1, h=0.03),
        line("09.03.2020", 0.27, 0.74, w=0.11),
        line("Date of Expiry", 0.46, 0.70, w=0.1, h=0.03),
        line("09.03.2030", 0.46, 0.74, w=0.11),
    ]
    found = values(lines)
    assert (found["birthDay"], found["issueDay"], found["expiryDay"]) == ("1958", "20200309", "20300309")


def form_lines() -> list[OcrLine]:
    """A card printed as a form: a column of "Label:" and the values on their rows, far right."""
    rows = [
        ("Name:", "Janat Mirza"),
        ("Father Name:", "Mirza Anjum Kamal"),
        ("Gender:", "F"),
        ("Country of Stay:", "Pakistan"),
        ("Identity Number:", "33100-7411692-4"),
        ("Date of Birth:", "14.09.2001"),
        ("Date of Issue:", "09.03.2020"),
        ("Date of Expiry:", "09.03.2030"),
    ]
    lines = [line("PAKISTAN", 0.3, 0.02), line("National Identity Card", 0.3, 0.07, w=0.3)]
    for row, (label_text, value) in enumerate(rows):
        top = 0.15 + 0.09 * row
        lines += [
            line(label_text, 0.05, top + 0.005, w=0.12, h=0.03),
            line(value, 0.30, top, w=0.02 * len(value)),
        ]
    return lines


def test_a_form_prints_each_value_on_its_labels_row() -> None:
    assert values(form_lines()) == CARD_VALUES


def test_a_value_past_another_label_on_the_row_is_not_this_labels() -> None:
    """With the name not read, the father's name after "Father Name:" on the name's row is
    not the holder's."""
    lines = [ln for ln in form_lines() if ln.text not in ("Janat Mirza", "Father Name:", "Mirza Anjum Kamal")]
    lines += [line("Father Name:", 0.18, 0.155, w=0.11, h=0.03), line("Mirza Anjum Kamal", 0.30, 0.15, w=0.3)]
    found = values(lines)
    assert found["fatherName"] == "Mirza Anjum Kamal"
    assert "name" not in found


def test_a_date_under_one_label_is_not_also_another_fields_by_the_rules() -> None:
    """Birth date and "Lifetime" read, the issue date not: the rules would make the one dated
    value the issue date, but it is the birth date's, under its label."""
    replaced = {"09.03.2020": line("9.03.20", 0.27, 0.90), "09.03.2030": line("Lifetime", 0.46, 0.90)}
    found = values([replaced.get(ln.text, ln) for ln in card_lines()])
    assert (found["birthDay"], found["expiryDay"]) == ("20010914", "LIFETIME")
    assert "issueDay" not in found


def test_missing_value_is_left_out_not_guessed() -> None:
    lines = [ln for ln in card_lines() if ln.text != "Janat Mirza"]
    found = values(lines)
    assert "name" not in found  # the Urdu line under the label is not taken as the name
    assert found["fatherName"] == "Mirza Anjum Kamal"


def test_value_in_the_other_column_is_not_taken() -> None:
    lines = [ln for ln in card_lines() if ln.text != "14.09.2001"]
    assert "birthDay" not in values(lines)


def test_title_case_repairs_l_and_i_confusion() -> None:
    lines = [ln if ln.text != "Janat Mirza" else line("Amna lqbal", 0.27, 0.24, w=0.2) for ln in card_lines()]
    assert values(lines)["name"] == "Amna Iqbal"
    lines = [ln if ln.text != "Janat Mirza" else line("AIi Khan", 0.27, 0.24, w=0.2) for ln in card_lines()]
    assert values(lines)["name"] == "Ali Khan"


@pytest.mark.parametrize(("read", "printed"), [("Asad jatoi", "Asad Jatoi"), ("Zia ul Haq", "Zia ul Haq")])
def test_title_case_capitalises_a_letter_drawn_like_its_capital(read: str, printed: str) -> None:
    lines = [line(read, 0.27, 0.24, w=0.2) if ln.text == "Janat Mirza" else ln for ln in card_lines()]
    assert values(lines)["name"] == printed


def test_a_word_starting_with_a_lower_case_letter_unlike_its_capital_is_no_name() -> None:
    lines = [line("Asad ratoi", 0.27, 0.24, w=0.2) if ln.text == "Janat Mirza" else ln for ln in card_lines()]
    assert "name" not in values(lines)


def test_title_case_restores_a_lost_space() -> None:
    lines = [
        ln if ln.text != "Janat Mirza" else line("MuhammadSaleem Anjum", 0.27, 0.24, w=0.25)
        for ln in card_lines()
    ]
    assert values(lines)["name"] == "Muhammad Saleem Anjum"


def test_a_line_in_capitals_under_the_name_label_is_not_the_name() -> None:
    """A tilted view can put the header under "Name"; names are printed in title case."""
    lines = [ln for ln in card_lines() if ln.text != "Janat Mirza"]
    lines.append(line("ISLAMIC REPUBLIC OF PAKISTAN", 0.27, 0.24, w=0.3))
    assert "name" not in values(lines)


def test_a_lone_gender_letter_is_trusted_by_its_confidence_in_either_case() -> None:
    lines = [replace(ln, score=0.65, caseless=0.999) if ln.text == "F" else ln for ln in card_lines()]
    gender = extract(lines).fields["gender"]
    assert (gender.value, gender.score, gender.weakest) == ("F", 0.999, 0.999)


def test_a_misread_label_at_its_place_is_not_taken_for_the_value() -> None:
    # Found a little low, as in a phone photo: its middle is 0.022 under the label's place.
    misread = line("Tame", 0.25, 0.21, w=0.06, h=0.034)
    lines = [misread if ln.text == "Name" else ln for ln in card_lines()]
    assert values(lines)["name"] == "Janat Mirza"


def rivals(text: str, **at: tuple[str, float]) -> tuple[tuple[str, float], ...]:
    """Per-character rivals of ``text``: none, except ``at={"p<index>": (char, probability)}``."""
    chosen = {int(key[1:]): rival for key, rival in at.items()}
    return tuple(chosen.get(index, ("", 0.0)) for index in range(len(text)))


def with_value(old: str, new: OcrLine) -> list[OcrLine]:
    return [new if ln.text == old else ln for ln in card_lines()]


def test_a_rival_letter_that_makes_another_name_is_the_readings_doubt() -> None:
    doubtful = line("Janat Mirza", 0.27, 0.24, w=0.2)
    doubtful = replace(doubtful, rivals=rivals(doubtful.text, p7=("e", 0.3)))  # Janat Merza
    assert extract(with_value("Janat Mirza", doubtful)).fields["name"].rival == 0.3


@pytest.mark.parametrize(
    ("text", "position", "rival"),
    [
        ("Janat Iqbal", 6, "l"),  # title case reads "lqbal" as "Iqbal"
        ("Janat Mirza", 0, "j"),  # a lower-case first letter is not a name
        ("Janat Mirza", 5, "_"),  # a space for an underscore: the same words
    ],
)
def test_rivals_the_rules_settle_are_no_doubt(text: str, position: int, rival: str) -> None:
    reading = replace(line(text, 0.27, 0.24, w=0.2), rivals=rivals(text, **{f"p{position}": (rival, 0.4)}))
    name = extract(with_value("Janat Mirza", reading)).fields["name"]
    assert name.value == text
    assert name.rival == 0.0


def test_a_rival_digit_that_makes_another_date_is_the_readings_doubt() -> None:
    birth = line("14.09.2001", 0.46, 0.77, w=0.11)
    birth = replace(birth, rivals=rivals(birth.text, p8=("7", 0.25)))  # 14.09.2071: still a date
    assert extract(with_value("14.09.2001", birth)).fields["birthDay"].rival == 0.25


def test_a_weak_rival_that_the_other_name_echoes_is_a_doubt() -> None:
    misread = line("Janat Mirzl", 0.27, 0.24, w=0.2)  # the father is "Mirza Anjum Kamal"
    misread = replace(misread, rivals=rivals(misread.text, p10=("a", 0.07)))
    found = extract(with_value("Janat Mirza", misread)).fields
    assert found["name"].value == "Janat Mirzl"
    assert found["name"].echoed_rival == 0.07
    assert found["fatherName"].echoed_rival == 0.0


def test_a_weak_rival_no_other_word_echoes_is_no_doubt() -> None:
    reading = line("Janat Mirza", 0.27, 0.24, w=0.2)
    reading = replace(reading, rivals=rivals(reading.text, p10=("e", 0.07)))  # "Mirze": no echo
    assert extract(with_value("Janat Mirza", reading)).fields["name"].echoed_rival == 0.0


def test_a_line_split_where_only_spaces_stand_on_one_side_is_not_split() -> None:
    text = "  Pakistan"
    xs = tuple(100.0 + 10 * index for index in range(len(text)))
    spaced = OcrLine(text, 0.9, (95, 0, 200, 20), 0.9, 0.9, (), (0.5,) * len(text), xs)
    assert spaced.split_at(112.0, 1.0) is None
