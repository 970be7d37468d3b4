"""The real engine on generated cards of every condition, and on every kind of bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnic_ocr.contract import CnicFields
from cnic_ocr.recognizer import Recognizer, get_recognizer
from cnic_ocr.synth import generate

FRONT_CONDITIONS = ("clean", "phone", "rotated", "lowres", "large")


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return get_recognizer()


@pytest.mark.parametrize("condition", FRONT_CONDITIONS)
@pytest.mark.parametrize(("family", "seed"), [("classic", 11), ("snic", 12)])
def test_front_is_read_exactly(recognizer: Recognizer, condition: str, family: str, seed: int) -> None:
    sample = generate(seed, condition, family=family)
    body = recognizer.recognize(sample.image)
    assert body == {"status": "OK", "message": sample.truth}
    CnicFields.model_validate(body["message"])


@pytest.mark.parametrize("condition", ["clean", "phone"])
def test_a_birth_date_printed_as_a_year_is_answered_as_that_year(
    recognizer: Recognizer, condition: str
) -> None:
    """Seed 5058 prints the birth date as a year alone, as some older holders' cards do."""
    sample = generate(5058, condition, family="snic")
    assert len(sample.truth["birthDay"]) == 4
    assert recognizer.recognize(sample.image) == {"status": "OK", "message": sample.truth}


def test_a_card_beside_papers_with_more_text_at_another_angle_is_read(recognizer: Recognizer) -> None:
    """Seed 6000: receipts lying 30 degrees askew hold more text than the card; read at their
    angle the card shows no answer, so it is read at the next angle, its own."""
    sample = generate(6000, "phone", family="snic")
    body = recognizer.recognize(sample.image, details=True)
    assert abs(body["details"]["skew"]) < 5
    assert {key: body[key] for key in ("status", "message")} == {"status": "OK", "message": sample.truth}


def test_a_small_card_among_papers_is_read_closer(recognizer: Recognizer) -> None:
    """Seed 6015: the card is a fifth of a photo full of receipts; at the reduced first view
    its lone gender letter and its country are not detected, at the photo's own resolution
    they are."""
    sample = generate(6015, "rotated", family="classic")
    body = recognizer.recognize(sample.image, details=True)
    assert body["details"]["zoomed"]
    assert {key: body[key] for key in ("status", "message")} == {"status": "OK", "message": sample.truth}


def test_a_card_the_line_classifier_votes_upside_down_is_read_the_other_way_up(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On small or blurred type the classifier's votes split (4 to 3 on a real photo); read
    upside down a card shows no sign of one, and it is read the other way up."""
    from cnic_ocr.recognizer import scene

    monkeypatch.setattr(scene, "_is_upside_down", lambda *_: True)
    sample = generate(11, "clean", family="snic")
    assert recognizer.recognize(sample.image) == {"status": "OK", "message": sample.truth}


@pytest.mark.parametrize("condition", ["clean", "phone"])
def test_gender_x_is_read(recognizer: Recognizer, condition: str) -> None:
    """The lone letter X shows no case; "x" must not cost it the confidence to answer."""
    sample = generate(503, condition)  # the first seed whose card holder's gender is X
    assert sample.truth is not None and sample.truth["gender"] == "X"
    assert recognizer.recognize(sample.image) == {"status": "OK", "message": sample.truth}


def test_a_lone_letter_is_found_by_detecting_its_box_again_enlarged(recognizer: Recognizer) -> None:
    """Where the gender letter must be, the box is detected again enlarged and each line found
    in it read: the letter alone, not the pattern or grid beside it."""
    from cnic_ocr.recognizer.service import DETECT_SIDES, Trace

    sample = generate(12, "clean", family="snic")
    assert sample.truth is not None
    image = recognizer._work_size(np.asarray(Image.open(io.BytesIO(sample.image)).convert("RGB")))
    reading = recognizer._read(image, Trace(), DETECT_SIDES[0])
    letter = reading.extraction.fields["gender"]
    unit = reading.extraction.unit
    x0, y0, x1, y1 = letter.box
    region = (x0 - 1.5 * unit, y0 - 0.2 * unit, x1 + 0.6 * unit, y1 + 0.2 * unit)
    found = recognizer._read_region(reading.scene, region, unit)
    assert [item.text for item in found] == [sample.truth["gender"]]
    assert region[0] <= found[0].centre[0] <= region[2]


@pytest.mark.parametrize("condition", ["clean", "phone"])
def test_the_older_non_chip_front_asks_for_another_image(recognizer: Recognizer, condition: str) -> None:
    """Its front prints no issue or expiry date nor country: a front, answered "retry"."""
    sample = generate(21, condition, family="legacy")
    body = recognizer.recognize(sample.image, details=True)
    assert (body["status"], body["message"]) == ("FAIL", "check input image and retry")
    assert any("older non-chip card" in problem for problem in body["details"]["problems"])


@pytest.mark.parametrize("seed", range(4))
def test_negatives_are_not_identity_cards(recognizer: Recognizer, seed: int) -> None:
    """A card back, a blank card, a driving licence, a passport (seeds 0-3): none is a CNIC front."""
    sample = generate(seed, "negative")
    body = recognizer.recognize(sample.image)
    assert body == {"status": "FAIL", "message": "not identity card"}, sample.meta


def test_back_side_and_blank_card_answer_not_identity_card(recognizer: Recognizer) -> None:
    from cnic_ocr.synth.card import render_back, render_blank
    from cnic_ocr.synth.identities import random_identity

    for card in (render_back(random_identity(5), 5), render_blank(5)):
        buffer = io.BytesIO()
        card.image.convert("RGB").save(buffer, "PNG")
        assert recognizer.recognize(buffer.getvalue()) == {"status": "FAIL", "message": "not identity card"}


@pytest.mark.parametrize("field", ["idNumber", "birthDay"])
def test_a_front_with_a_field_covered_asks_for_another_image(recognizer: Recognizer, field: str) -> None:
    """A CNIC front it cannot read whole is a card: "check input image and retry", not "not identity card"."""
    sample = generate(11, "clean")
    image = Image.open(io.BytesIO(sample.image)).convert("RGB")
    xs, ys = zip(*sample.meta["field_quads"][field], strict=True)
    box = (min(xs) - 4, min(ys) - 4, max(xs) + 4, max(ys) + 4)
    ImageDraw.Draw(image).rectangle(box, fill=image.getpixel((int(box[0]) - 10, int(box[1]))))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert recognizer.recognize(buffer.getvalue()) == {
        "status": "FAIL",
        "message": "check input image and retry",
    }


def test_unreadable_front_fails_rather_than_guessing(recognizer: Recognizer) -> None:
    sample = generate(3, "clean")
    image = Image.open(io.BytesIO(sample.image)).convert("RGB")
    tiny = image.resize((image.width // 8, image.height // 8))  # text a few pixels high
    buffer = io.BytesIO()
    tiny.save(buffer, "JPEG", quality=40)
    body = recognizer.recognize(buffer.getvalue())
    assert body["status"] == "FAIL"


INVALID_REQUEST = {"status": "INVALID_REQUEST", "message": "check request params"}
INVALID_FORMAT = {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"}
INVALID_SIZE = {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", INVALID_REQUEST),
        (b"GIF89a" + b"\0" * 64, INVALID_FORMAT),
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, INVALID_FORMAT),
        (b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), INVALID_SIZE),
    ],
    ids=["empty", "gif", "corrupt-jpeg", "over-2MiB"],
)
def test_bad_input_gets_the_contract_status(
    recognizer: Recognizer, data: bytes, expected: dict[str, str]
) -> None:
    assert recognizer.recognize(data) == expected


def test_details_are_opt_in_and_describe_the_reading(recognizer: Recognizer) -> None:
    sample = generate(21, "rotated")
    plain = recognizer.recognize(sample.image)
    assert set(plain) == {"status", "message"}
    detailed = recognizer.recognize(sample.image, details=True)
    assert detailed["message"] == plain["message"]
    details = detailed["details"]
    assert set(details["fields"]) == set(sample.truth)
    assert all(0 < field["confidence"] <= 1 for field in details["fields"].values())
    assert {check["name"] for check in details["checks"]} >= {
        "number_format",
        "gender_parity",
        "date_order",
        "validity_period",
    }
    assert details["rotation"] == sample.meta["rotation"]
    assert details["frontEvidence"] and details["problems"] == []
    assert details["timingsMs"]["total_ms"] > 0


def test_cli_prints_one_line_per_file_in_order(tmp_path: Path) -> None:
    card, junk = tmp_path / "card.jpg", tmp_path / "notes.txt"
    card.write_bytes(generate(12, "phone").image)
    junk.write_text("not an image")
    result = subprocess.run(
        [sys.executable, "-m", "cnic_ocr.cli", "recognize", str(card), str(junk)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(card), str(junk)]
    assert lines[0]["response"]["status"] == "OK"
    assert lines[1]["response"] == {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"}


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cnic_ocr.cli", "recognize", str(tmp_path / "missing.jpg")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot read" in json.loads(result.stdout)["error"]


def test_the_picture_shows_what_was_read(recognizer: Recognizer) -> None:
    """``--annotate``: a PNG of the photo, the same size, with the reading drawn over it."""
    sample = generate(11, "phone")
    body, picture = recognizer.recognize_and_picture(sample.image)
    assert body == {"status": "OK", "message": sample.truth}
    assert picture is not None
    drawn = Image.open(io.BytesIO(picture))
    photo = Image.open(io.BytesIO(sample.image))
    assert (drawn.format, drawn.size) == ("PNG", photo.size)
    assert drawn.convert("RGB").tobytes() != photo.convert("RGB").tobytes()
    assert recognizer.recognize_and_picture(b"not an image") == (INVALID_FORMAT, None)
