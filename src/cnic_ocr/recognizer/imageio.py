"""Safe intake of untrusted image bytes: format by content, size limits, bounded decoding."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from cnic_ocr.contract import MAX_IMAGE_BYTES
from cnic_ocr.image_format import CONTRACT_FORMATS, ImageFormat, sniff_format

#: Decoded pixel counts above this are refused as decompression bombs (a 4000x4000 photo is 16 MP).
MAX_PIXELS = 40_000_000


class IntakeProblem(StrEnum):
    """Why bytes could not become pixels; maps onto the contract's statuses."""

    EMPTY = "empty"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_LARGE = "too_large"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"


class ImageIntakeError(Exception):
    def __init__(self, problem: IntakeProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem


@dataclass(frozen=True)
class DecodedImage:
    pixels: NDArray[np.uint8]  # BGR, HxWx3, EXIF orientation applied
    fmt: ImageFormat


def decode_image(data: bytes, max_side: int | None = None) -> DecodedImage:
    """Check and decode image bytes, raising ImageIntakeError with the reason on bad input.

    With ``max_side``, a JPEG at least 1.6 times larger is decoded at a reduced scale (the
    decoder's DCT scaling, to no less than 0.8 x ``max_side``): several times faster. Other
    formats (no reduced decoding) at least twice larger are shrunk by a whole factor right after
    decoding, to no less than ``max_side``, so that only one full-size copy ever exists: a
    40 MP PNG would otherwise be copied several times over on its way to the recognizer.
    """
    if not data:
        raise ImageIntakeError(IntakeProblem.EMPTY, "empty image")
    fmt = sniff_format(data)  # by content: names and claimed types are never trusted
    if fmt is None or fmt not in CONTRACT_FORMATS:
        raise ImageIntakeError(IntakeProblem.UNSUPPORTED_FORMAT, "not jpeg, png or bmp")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageIntakeError(IntakeProblem.TOO_LARGE, f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt.value.upper()]) as img:
                width, height = img.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    raise ImageIntakeError(IntakeProblem.TOO_MANY_PIXELS, f"{width}x{height}")
                if max_side and fmt is ImageFormat.JPEG and max(width, height) >= 1.6 * max_side:
                    scale = 0.8 * max_side / max(width, height)
                    img.draft("RGB", (int(width * scale), int(height * scale)))
                img.load()
                upright = ImageOps.exif_transpose(_reduced(img, max_side)).convert("RGB")
    except ImageIntakeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageIntakeError(IntakeProblem.TOO_MANY_PIXELS, str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageIntakeError(IntakeProblem.CORRUPT, type(exc).__name__) from exc
    rgb = np.asarray(upright, dtype=np.uint8)
    return DecodedImage(pixels=np.ascontiguousarray(rgb[:, :, ::-1]), fmt=fmt)


def _reduced(img: Image.Image, max_side: int | None) -> Image.Image:
    """``img`` shrunk by the largest whole factor that keeps its long side at least ``max_side``."""
    factor = max(img.size) // max_side if max_side else 1
    if factor < 2:
        return img
    if img.mode not in ("L", "LA", "RGB", "RGBA"):  # palette, 1-bit, 16-bit: reduce() has no meaning there
        img = img.convert("RGB")
    return img.reduce(factor)
