"""Fonts from a PyPI package (matplotlib's DejaVu), never the system's, so renders are reproducible.

DejaVu Sans covers Arabic script but lacks two Urdu letters (heh goal ``ہ`` and yeh barree
``ے``); they are drawn with their closest Arabic look-alikes, which is close enough for a
synthetic card whose Urdu the recognizer does not read.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

FontName = Literal["sans", "sans-bold", "serif", "serif-bold", "mono", "mono-bold"]

_FILES: dict[FontName, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
}

_URDU_FALLBACKS = str.maketrans({"ہ": "ه", "ے": "ی", "ۃ": "ة", "ۓ": "ئ", "ٰ": None})


@cache
def font_dir() -> Path:
    import matplotlib  # a dev dependency: imported only when rendering

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def font(name: FontName, size: int) -> ImageFont.FreeTypeFont:
    """A cached font; raqm layout so that Urdu is shaped (joined, right to left)."""
    layout = ImageFont.Layout.RAQM if ImageFont.core.HAVE_RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(font_dir() / _FILES[name]), max(size, 6), layout_engine=layout)


def urdu_drawable(text: str) -> str:
    """``text`` with the letters DejaVu lacks replaced by look-alikes it has."""
    return text.translate(_URDU_FALLBACKS)


def has_raqm() -> bool:
    """Whether Urdu can be shaped; without raqm Urdu is drawn as isolated letters."""
    return bool(ImageFont.core.HAVE_RAQM)
