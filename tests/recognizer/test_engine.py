"""The engine: its folding of look-alike character classes the card's ASCII text never tells apart, and
that it calls out to no one."""

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydantic import ValidationError

from cnic_ocr.recognizer import get_recognizer
from cnic_ocr.recognizer.engine import OcrEngine, _Twins
from cnic_ocr.recognizer.settings import RecognizerSettings
from cnic_ocr.synth import generate


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


def test_detection_runs_on_either_runtime_with_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """``CNIC_OCR_DETECTION_RUNTIME`` picks OpenVINO (fast) or onnxruntime (less memory); the
    same model finds the same lines of a synthetic card either way."""
    monkeypatch.setenv("CNIC_OCR_DETECTION_RUNTIME", "onnxruntime")
    assert RecognizerSettings().detection_runtime == "onnxruntime"
    monkeypatch.setenv("CNIC_OCR_DETECTION_RUNTIME", "tensorflow")
    with pytest.raises(ValidationError):
        RecognizerSettings()
    pixels = np.asarray(Image.open(io.BytesIO(generate(3, "clean", "snic").image)).convert("RGB"))[:, :, ::-1]
    image = np.ascontiguousarray(pixels[:700, :900])
    fast = get_recognizer().engine.detect(image)
    frugal = OcrEngine(detection_runtime="onnxruntime").detect(image)
    assert len(fast) == len(frugal) >= 10
    centres = np.array([box.points.mean(axis=0) for box in frugal])
    for box in fast:  # each line found by one runtime is within 3 px of one the other found
        assert np.linalg.norm(centres - box.points.mean(axis=0), axis=1).min() < 3
