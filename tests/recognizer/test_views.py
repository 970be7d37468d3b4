"""View → card geometry: homography from label anchors, text angles (pure, no engine)."""

import cv2
import numpy as np
import pytest

from cnic_ocr.recognizer.engine import TextBox
from cnic_ocr.recognizer.fields import OcrLine
from cnic_ocr.recognizer.geometry import CARD_HEIGHT, CARD_WIDTH
from cnic_ocr.recognizer.layout import LABEL_ANCHORS, Label
from cnic_ocr.recognizer.views import fit_view_to_card, lines_in_card, text_angles

VIEW_W, VIEW_H = 1200, 900
# a view in which the card appears shrunk, shifted and in perspective
CARD_TO_VIEW = cv2.getPerspectiveTransform(
    np.array([[0, 0], [CARD_WIDTH, 0], [CARD_WIDTH, CARD_HEIGHT], [0, CARD_HEIGHT]], dtype=np.float32),
    np.array([[150, 120], [1000, 160], [980, 720], [170, 690]], dtype=np.float32),
)


def label_line_in_view(label: Label) -> OcrLine:
    x, y = LABEL_ANCHORS[label]
    point = cv2.perspectiveTransform(np.array([[[x * CARD_WIDTH, y * CARD_HEIGHT]]]), CARD_TO_VIEW)[0, 0]
    left, middle = point[0] / VIEW_W, point[1] / VIEW_H
    return OcrLine(text=label.value, score=0.99, box=(left, middle - 0.01, left + 0.08, middle + 0.01))


def test_homography_from_labels_maps_view_to_card() -> None:
    labels = {label: label_line_in_view(label) for label in LABEL_ANCHORS if label is not Label.HUSBAND_NAME}
    matrix = fit_view_to_card(labels, VIEW_W, VIEW_H)
    assert matrix is not None
    mapped = lines_in_card(list(labels.values()), matrix, VIEW_W, VIEW_H)
    for label, line in zip(labels, mapped, strict=True):
        assert line.box[0] == pytest.approx(LABEL_ANCHORS[label][0], abs=0.01)
        assert (line.box[1] + line.box[3]) / 2 == pytest.approx(LABEL_ANCHORS[label][1], abs=0.01)


def test_one_misread_label_is_outvoted() -> None:
    labels = {label: label_line_in_view(label) for label in LABEL_ANCHORS if label is not Label.HUSBAND_NAME}
    labels[Label.GENDER] = OcrLine("gender", 0.9, (0.9, 0.05, 0.95, 0.07))  # far from where it belongs
    matrix = fit_view_to_card(labels, VIEW_W, VIEW_H)
    assert matrix is not None
    (name,) = lines_in_card([labels[Label.NAME]], matrix, VIEW_W, VIEW_H)
    assert name.box[0] == pytest.approx(LABEL_ANCHORS[Label.NAME][0], abs=0.015)


def test_too_few_labels_give_no_homography() -> None:
    assert fit_view_to_card({Label.NAME: label_line_in_view(Label.NAME)}, VIEW_W, VIEW_H) is None


def box_at(angle: float, length: float, centre: tuple[float, float]) -> TextBox:
    points = cv2.boxPoints((centre, (length, 20.0), angle)).astype(np.float32)
    return TextBox(points=points, score=0.9)


def test_text_angles_put_the_strongest_direction_first() -> None:
    card = [box_at(30, 300, (200 + 10 * i, 200 + 40 * i)) for i in range(8)]
    paper = [box_at(-40, 200, (800, 100 + 40 * i)) for i in range(5)]
    angles = text_angles(card + paper)
    assert angles[0] == pytest.approx(30, abs=1)
    assert angles[1] == pytest.approx(-40, abs=1)
