"""The engine: its folding of look-alike character classes the card's ASCII text never tells apart, and
that it calls out to no one."""

import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnic_ocr.recognizer import get_recognizer
from cnic_ocr.recognizer.engine import _Twins


def test_accented_and_full_width_letters_fold_to_ascii() -> None:
    twins = _Twins.of(["blank", "i", "í", "Ｘ", "X", "x", "Ⅻ", "中"])
    assert twins.ascii == {2: "i", 3: "X"}
    assert sorted(twins.same[2]) == [1, 2]
    assert sorted(twins.caseless[4]) == [3, 4, 5]
    assert 6 not in twins.ascii and 7 not in twins.same  # several letters, or none: left alone


def test_the_models_alphabet_folds_its_accented_i_and_its_lower_case_x() -> None:
    engine = get_recognizer().engine
    characters = engine._characters
    accented_i = characters.index("í")
    assert engine._twins.ascii[accented_i] == "i"
    assert characters.index("x") in engine._twins.caseless[characters.index("X")]


def test_each_character_read_comes_with_its_best_other_character() -> None:
    image = Image.new("RGB", (420, 64), "white")
    ImageDraw.Draw(image).text((10, 8), "Aqsa Chaudhry", fill="black", font=ImageFont.load_default(size=40))
    read = get_recognizer().engine.read([np.asarray(image)])[0]
    assert read.text == "Aqsa Chaudhry"
    assert len(read.rivals) == len(read.text)
    for char, (rival, probability) in zip(read.text, read.rivals, strict=True):
        assert rival != char
        assert 0.0 <= probability <= 1.0 - read.weakest + 1e-6 or char == " "


def test_the_engine_reports_to_no_one() -> None:
    """OpenVINO's model converter would report the package's import to Google Analytics from
    a forked child; the engine loads OpenVINO with the converter's no-op stub instead."""
    code = (
        "import multiprocessing, sys\n"
        "from cnic_ocr.recognizer.engine import OcrEngine\n"
        "OcrEngine()\n"
        "import openvino.tools.ovc.telemetry_utils as converter\n"
        "print(converter.tm.__name__, len(multiprocessing.active_children()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "0"]
