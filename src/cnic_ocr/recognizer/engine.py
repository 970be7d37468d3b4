"""The OCR engine: rapidocr's PP-OCR ONNX models (shipped in its wheel), CPU only.

The three stages (text detection, 0/180 line classification, line recognition) are used
separately so the recognizer can run detection once on the rectified card and recognition
only on the lines it needs. rapidocr's all-in-one ``__call__`` mutates shared flags, so it is
not used.

Detection runs the wheel's detection model on OpenVINO (up to ``OPENVINO_MAX_SIDE``), between
rapidocr's own pre- and post-processing: on the 2-core machine measured it took 0.19-0.30 s
for a 960 px image where onnxruntime took 0.57 s; the answers to the 92 real photos were the
same, photo for photo, and 125 of 126 synthetic cards were exact with either. It is compiled
for float32 everywhere (OpenVINO would otherwise pick bfloat16 on CPUs that have it, and
answers would depend on the machine). Classification and recognition stay on onnxruntime,
which was as fast as OpenVINO or faster for their many small inputs.

Recognition decodes the model's per-character probabilities itself (greedy CTC, as rapidocr
does) to fold look-alike classes the card never prints apart: the model's alphabet has accented
and full-width twins of the ASCII letters ("Nadía" for "Nadia"), and a lone letter's case cannot
be seen ("x" for the gender "X"). A folded character's confidence is the sum over its twins.

Detection is one large input and uses every core inside onnxruntime. Recognition is many
small inputs, where splitting one line's convolutions over threads costs more in
synchronisation than it gains: lines are instead recognised one per core, in parallel, on a
single-threaded session (onnxruntime's ``run`` is thread-safe and releases the GIL).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from rapidocr import RapidOCR
from rapidocr.ch_ppocr_det.main import TextDetector
from rapidocr.inference_engine.base import FileInfo, InferSession

from cnic_ocr.recognizer.settings import DetectionRuntime

#: The caller scales detection's input (cost grows with area); this only caps it.
MAX_DET_SIDE = 2048
#: Detection inputs up to this long side run on OpenVINO (see ``_Detector``).
OPENVINO_MAX_SIDE = 1024
#: Crops thinner than this hold no readable text (and would divide by zero in the recognizer).
MIN_CROP_SIDE = 4


@dataclass(frozen=True)
class TextBox:
    """A detected text line: four corners (clockwise from top-left) in image pixels."""

    points: NDArray[np.float32]  # shape (4, 2)


@dataclass(frozen=True)
class ReadText:
    text: str
    score: float  # mean character confidence
    weakest: float  # lowest confidence of a character other than a space
    caseless: float = 0.0  # mean character confidence when letter case is not told apart
    rivals: tuple[tuple[str, float], ...] = ()  # per character: the model's best other character
    confidences: tuple[float, ...] = ()  # per character
    positions: tuple[float, ...] = ()  # per character: its middle, as a share of the crop's width


@dataclass(frozen=True)
class _Twins:
    """The model's classes that the card's ASCII text cannot tell apart, per class index."""

    ascii: dict[int, str]  # class -> the ASCII character it folds to
    same: dict[int, NDArray[np.intp]]  # class -> every class folding to the same character
    caseless: dict[int, NDArray[np.intp]]  # class -> every class folding to it in either case

    @classmethod
    def of(cls, characters: list[str]) -> _Twins:
        ascii_of: dict[int, str] = {}
        for index, char in enumerate(characters):
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if len(base) == 1 and base.isascii() and base.isalnum():
                ascii_of[index] = base
        by_char: dict[str, list[int]] = {}
        by_letter: dict[str, list[int]] = {}
        for index, base in ascii_of.items():
            by_char.setdefault(base, []).append(index)
            by_letter.setdefault(base.upper(), []).append(index)
        return cls(
            ascii={i: b for i, b in ascii_of.items() if characters[i] != b},
            same={i: np.array(by_char[b]) for i, b in ascii_of.items()},
            caseless={i: np.array(by_letter[b.upper()]) for i, b in ascii_of.items()},
        )


class OcrEngine:
    """Loads the models once; detection, orientation and recognition as separate calls."""

    def __init__(self, detection_runtime: DetectionRuntime = "openvino") -> None:
        started = time.perf_counter()
        params: dict[str, object] = {
            "Global.log_level": "error",
            "Det.limit_side_len": MAX_DET_SIDE,
            "Det.limit_type": "max",
            "Det.box_thresh": 0.5,
            # One line per batch: padding a batch to its widest line costs more than it saves,
            # and a narrow minimum width keeps short labels cheap.
            "Rec.rec_batch_num": 1,
            "Rec.rec_img_shape": [3, 48, 96],
        }
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        ocr = RapidOCR(params=params)
        # rapidocr 3.10 builds each stage on first use; build them now, at cold start.
        detector = ocr._load_det_model()  # type: ignore[no-untyped-call]
        model_root = Path(ocr.cfg.Global.model_root_dir)
        self._det = _Detector(detector, ocr.cfg.Det, model_root if detection_runtime == "openvino" else None)
        self._cls = ocr._load_cls_model()  # type: ignore[no-untyped-call]
        single_threaded = RapidOCR(params={**params, "EngineConfig.onnxruntime.intra_op_num_threads": 1})
        self._rec = single_threaded._load_rec_model()  # type: ignore[no-untyped-call]
        self._characters: list[str] = self._rec.postprocess_op.character
        self._twins = _Twins.of(self._characters)
        _, input_height, min_input_width = self._rec.rec_image_shape
        self._min_width_ratio = min_input_width / input_height
        self._rec_pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="ocr-rec")
        self.load_seconds = time.perf_counter() - started

    def detect(self, image: NDArray[np.uint8]) -> list[TextBox]:
        return [TextBox(points=np.asarray(box, dtype=np.float32)) for box in self._det(image)]

    def upside_down_votes(self, crops: list[NDArray[np.uint8]]) -> tuple[int, int]:
        """(upright, upside-down) votes of the 0/180 line classifier over ``crops``."""
        if not crops:
            return 0, 0
        result = self._cls(crops)
        flipped = sum(1 for label, score in result.cls_res if "180" in label and score > 0.6)
        upright = sum(1 for label, score in result.cls_res if "180" not in label and score > 0.6)
        return upright, flipped

    def read(self, crops: list[NDArray[np.uint8]]) -> list[ReadText]:
        """Recognise one text line per crop, with its mean and lowest character confidence."""
        usable = [index for index, crop in enumerate(crops) if min(crop.shape[:2]) >= MIN_CROP_SIDE]
        read = [ReadText(text="", score=0.0, weakest=0.0) for _ in crops]
        if not usable:
            return read
        lines = self._rec_pool.map(self._read_one, [crops[i] for i in usable])
        for index, line in zip(usable, lines, strict=True):
            read[index] = line
        return read

    def _read_one(self, crop: NDArray[np.uint8]) -> ReadText:
        aspect = crop.shape[1] / crop.shape[0]
        ratio = max(self._min_width_ratio, aspect)
        batch = self._rec.resize_norm_img(crop, ratio)[np.newaxis].astype(np.float32)
        probabilities = self._rec.session(batch)[0]  # (time steps, classes), softmaxed
        best = probabilities.argmax(axis=1)
        emitted = best != 0  # class 0 is CTC's blank
        emitted[1:] &= best[1:] != best[:-1]  # a character held over several steps counts once
        steps = np.flatnonzero(emitted)
        if not steps.size:
            return ReadText(text="", score=0.0, weakest=0.0)
        # Each character's best rival: the most likely class once it, its twins and the blank
        # are set aside (a dropped character is not a rival reading).
        others = probabilities[steps]  # a copy
        others[:, 0] = 0.0
        text, confidences, caseless, rivals = [], [], [], []
        for step, other in zip(steps, others, strict=True):
            row, index = probabilities[step], int(best[step])
            text.append(self._as_ascii(index))
            confidences.append(self._probability(row, index))
            caseless.append(float(row[self._twins.caseless.get(index, index)].sum()))
            other[self._twins.same.get(index, index)] = 0.0
            rival = int(other.argmax())
            rivals.append((self._as_ascii(rival), self._probability(row, rival)) if rival else ("", 0.0))
        return ReadText(
            text="".join(text),
            score=float(np.mean(confidences)),
            # A doubtful space between words is settled by title case, not by this floor.
            weakest=min((c for char, c in zip(text, confidences, strict=True) if char != " "), default=0.0),
            caseless=float(np.mean(caseless)),
            rivals=tuple(rivals),
            confidences=tuple(confidences),
            # The model sees the crop left-aligned in an input at least ``ratio`` wide.
            positions=tuple(float((step + 0.5) / len(best) * ratio / aspect) for step in steps),
        )

    def _as_ascii(self, index: int) -> str:
        return self._twins.ascii.get(index, self._characters[index])

    def _probability(self, step: NDArray[np.float32], index: int) -> float:
        """A class's probability, with those of its accented and full-width twins."""
        return float(step[self._twins.same.get(index, index)].sum())


class _Detector:
    """rapidocr's text detection (its resizing, DB post-processing and box order), the model
    run by OpenVINO up to ``OPENVINO_MAX_SIDE`` and by onnxruntime above it (or always, with
    no ``model_root``: ``CNIC_OCR_DETECTION_RUNTIME=onnxruntime``).

    OpenVINO is 2-3x faster on this model, but it holds far more memory for a large input
    (measured on a 1408 px square: 748 MB peak against onnxruntime's 558 MB); only the card's
    text seen closer is that large. One OpenVINO inference at a time: its request is not
    shared between threads, and one detection uses every core anyway.
    """

    def __init__(self, detector: TextDetector, config: Any, model_root: Path | None) -> None:
        self._onnxruntime = detector
        self._openvino = None if model_root is None else self._compiled(config, model_root)
        self._lock = threading.Lock()

    @staticmethod
    def _compiled(config: Any, model_root: Path) -> Any:
        """The wheel's detection model (the file rapidocr itself loads), compiled by OpenVINO."""
        model = InferSession.get_model_url(
            FileInfo(
                engine_type=config.engine_type,
                ocr_version=config.ocr_version,
                task_type=config.task_type,
                lang_type=config.lang_type,
                model_type=config.model_type,
            )
        )
        return _openvino_core().compile_model(
            model_root / Path(model["model_dir"]).name,
            "CPU",
            {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"},
        )

    def __call__(self, image: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
        if self._openvino is None or max(image.shape[:2]) > OPENVINO_MAX_SIDE:
            found = self._onnxruntime(image).boxes
            return [] if found is None else list(found)
        batch = self._onnxruntime.get_preprocess()(image)
        if batch is None:
            return []
        with self._lock:
            probabilities = self._openvino(batch)[0]
        boxes, _ = self._onnxruntime.postprocess_op(probabilities, image.shape[:2])
        return list(TextDetector.sorted_boxes(boxes)) if len(boxes) else []


def _openvino_core() -> Any:
    """OpenVINO's runtime, without its telemetry. Importing the package imports its model
    converter, which reports the import to Google Analytics (the ``openvino-telemetry``
    dependency) unless a file in the home directory declines: a KYC service calls out to no
    one. With that package unavailable the converter uses its own no-op stub."""
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino.Core()


def crop_quad(image: NDArray[np.uint8], points: NDArray[np.float32], pad: float = 0.0) -> NDArray[np.uint8]:
    """Perspective-crop a text quadrilateral to an upright strip, padded by ``pad`` x its height."""
    pts = points.astype(np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 2), max(height, 2)
    margin = pad * height
    target = np.array(
        [
            [margin, margin],
            [width + margin, margin],
            [width + margin, height + margin],
            [margin, height + margin],
        ],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(pts, target)
    size = (int(width + 2 * margin), int(height + 2 * margin))
    return np.asarray(
        cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE),
        dtype=np.uint8,
    )
