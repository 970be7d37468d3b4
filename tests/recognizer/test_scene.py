"""How the card's text is turned upright, from detected boxes alone (no engine)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnic_ocr.recognizer.engine import TextBox
from cnic_ocr.recognizer.scene import text_angles


def box(angle: float, length: float, x: float = 0.0, y: float = 0.0, thickness: float = 20.0) -> TextBox:
    """A text line's box of ``length`` x ``thickness`` whose baseline runs at ``angle`` degrees."""
    along = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    across = np.array([-along[1], along[0]])
    corners = [
        np.array([x, y]) + a * along * length + b * across * thickness
        for a, b in ((0, 0), (1, 0), (1, 1), (0, 1))
    ]
    return TextBox(np.array(corners, dtype=np.float32))


def test_the_card_is_turned_by_its_own_lines_not_a_paper_a_few_degrees_off() -> None:
    """A card seen at a slant (lines from -79 to -84 degrees) beside a paper whose lines run at
    -86 to -90: grouping every line within 6 degrees of the longest took the paper's lines in
    and turned the card 4 degrees short of upright."""
    card = [box(-79 - 5 * i / 11, 150, y=40 * i) for i in range(12)]
    paper = [box(-86 - i, 200, x=600, y=40 * i) for i in range(5)]
    first = text_angles(card + paper)[0]
    assert -83.5 < first < -80.5


def test_text_at_another_angle_is_a_second_choice_when_it_holds_as_much_text() -> None:
    """Papers askew beside the card may hold more text than it: both angles are candidates,
    the one with most text first; a few stray words are none."""
    card = [box(1.0, 150, y=40 * i) for i in range(10)]
    papers = [box(30.0, 160, x=600, y=40 * i) for i in range(10)]
    stray = [box(-45.0, 100)]
    angles = text_angles(card + papers + stray)
    assert len(angles) == 2
    assert angles[0] == pytest.approx(30.0, abs=0.5) and angles[1] == pytest.approx(1.0, abs=0.5)
