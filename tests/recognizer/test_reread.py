"""Re-reading missing values where the layout prints them (engine faked at its boundary)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cnic_ocr.recognizer.engine import ReadText
from cnic_ocr.recognizer.fields import Extraction
from cnic_ocr.recognizer.geometry import CARD_HEIGHT, CARD_WIDTH
from cnic_ocr.recognizer.service import Recognizer


class EngineReading:
    """Reads every crop as ``text``, its last character ending at ``end`` of the crop's width."""

    def __init__(self, text: str, end: float) -> None:
        self.read_text = ReadText(text=text, score=0.99, weakest=0.99, end=end)

    def read(self, crops: list[NDArray[np.uint8]]) -> list[ReadText]:
        return [self.read_text for _ in crops]


def reread(key: str, text: str, end: float) -> list[str]:
    recognizer = Recognizer(engine=EngineReading(text, end))  # type: ignore[arg-type]
    card = np.full((CARD_HEIGHT, CARD_WIDTH, 3), 255, dtype=np.uint8)
    return [line.text for line in recognizer._reread_regions(card, Extraction(), [key])]


@pytest.mark.parametrize("key", ["name", "fatherName", "country"])
def test_a_free_text_value_read_up_to_its_regions_edge_may_be_cut_and_is_dropped(key: str) -> None:
    assert reread(key, "Ali Raz", end=0.99) == []
    assert reread(key, "Ali Raza", end=0.9) == ["Ali Raza"]


def test_a_formatted_value_at_the_edge_is_kept_its_format_shows_a_cut() -> None:
    assert reread("birthDay", "01.01.1990", end=0.99) == ["01.01.1990"]
