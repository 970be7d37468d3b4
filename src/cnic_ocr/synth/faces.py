"""Typefaces of the realistic drawings: condensed sans faces, an Urdu face, DejaVu for contrast.

Real cards print values in a medium, slightly condensed sans and Urdu in Nastaliq. No
Nastaliq face is packaged on PyPI for us, so Urdu uses Noto Sans Arabic (which has every Urdu
letter). The faces come from pinned PyPI packages (dev dependencies), never from the system,
so that a render is the same on every machine.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import Final, Literal

from PIL import ImageFont

from cnic_ocr.synth.fonts import font_dir

Face = Literal[
    "roboto-condensed", "pt-sans-narrow", "arimo", "dejavu-sans", "dejavu-serif", "dejavu-mono", "noto-arabic"
]
#: The Latin faces a card's values may be printed in.
LATIN_FACES: Final[tuple[Face, ...]] = ("roboto-condensed", "pt-sans-narrow", "arimo", "dejavu-sans")


def _fontpkg_file(package: str, name: str) -> Path:
    root = Path(importlib.import_module(package).ROOT)
    return root / "files" / name


@cache
def _path(face: Face, bold: bool) -> Path:
    if face == "roboto-condensed":
        return _fontpkg_file("fontpkg_roboto_condensed", "RobotoCondensed[wght].ttf")
    if face == "arimo":
        return _fontpkg_file("fontpkg_arimo", "Arimo[wght].ttf")
    if face == "noto-arabic":
        return _fontpkg_file("fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf")
    if face == "pt-sans-narrow":
        name = "PT_Sans-Narrow-Web-Bold.ttf" if bold else "PT_Sans-Narrow-Web-Regular.ttf"
        return _fontpkg_file("fontpkg_pt_sans_narrow", name)
    stem = {"dejavu-sans": "DejaVuSans", "dejavu-mono": "DejaVuSansMono"}.get(face, "DejaVuSerif")
    return font_dir() / (f"{stem}-Bold.ttf" if bold else f"{stem}.ttf")


@cache
def typeface(face: Face, size: int, weight: int = 400) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` px; ``weight`` 100-900 (variable faces take it exactly, others: bold >= 600)."""
    bold = weight >= 600
    layout = ImageFont.Layout.RAQM if ImageFont.core.HAVE_RAQM else ImageFont.Layout.BASIC
    loaded = ImageFont.truetype(str(_path(face, bold)), max(size, 6), layout_engine=layout)
    if face in ("roboto-condensed", "arimo"):
        loaded.set_variation_by_axes([weight])
    elif face == "noto-arabic":
        loaded.set_variation_by_axes([weight, 100])
    return loaded
