"""An image's format from its magic bytes: the one sniffer the recognizer and the pipeline share.

File names and declared content types can lie; the first bytes cannot. Only the standard
library here, so that the zip functions (the pipeline) and the recognizer can both use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    BMP = "bmp"
    WEBP = "webp"
    HEIC = "heic"
    AVIF = "avif"


#: What the contract accepts ("format must be one of jpeg/jpg/png/bmp", docs/contract.md).
CONTRACT_FORMATS: Final = frozenset({ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.BMP})

_HEIF_BRANDS: Final = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def sniff_format(data: bytes) -> ImageFormat | None:
    """The format told by the first bytes, or None for anything else (PDF, GIF, TIFF, text...)."""
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if data.startswith(b"BM") and len(data) >= 26:
        return ImageFormat.BMP
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return ImageFormat.AVIF
        if brand in _HEIF_BRANDS:
            return ImageFormat.HEIC
    return None
