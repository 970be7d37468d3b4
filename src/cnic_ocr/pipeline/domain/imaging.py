"""Checks an uploaded image and makes it fit the OCR contract before anything is paid for.

The contract accepts jpeg/png/bmp, refuses anything over 2 MB and answers images under 200 KB
within 2 s; phones upload 2-6 MB JPEGs, HEIC (iPhone) and WebP (Android). Everything here is
decided locally, so a bad upload never costs an OCR call.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Final

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from cnic_ocr.image_format import CONTRACT_FORMATS, sniff_format
from cnic_ocr.records.model import RecordStatus

pillow_heif.register_heif_opener()

#: JPEG qualities tried at each size, best first. Above the minimum long side the search stops
#: at LARGE_IMAGE_MIN_QUALITY (scaling down a little costs legibility less than blocky text);
#: at the minimum long side it goes on down to the last one before scaling further.
JPEG_QUALITIES: Final = (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40)
LARGE_IMAGE_MIN_QUALITY: Final = 60
#: Re-encoding starts from at most this long side: more only costs bytes the limit forbids.
MAX_START_LONG_SIDE: Final = 2400
#: Each downscale step keeps this share of the long side.
SCALE_STEP: Final = 0.85
#: Never shrink below this long side even when the byte target is missed.
ABSOLUTE_MIN_LONG_SIDE: Final = 640
#: Decoding more pixels than this is refused (a 50 MP phone photo is ~8200 x 6150).
MAX_PIXELS: Final = 80_000_000

_LARGE_IMAGE_QUALITIES: Final = tuple(q for q in JPEG_QUALITIES if q >= LARGE_IMAGE_MIN_QUALITY)


class ImageRejectedError(Exception):
    """The upload is not something the contract can read; recorded with a contract status."""

    def __init__(self, status: RecordStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """The bytes to send, and what was done to get them."""

    data: bytes
    source_format: str
    sent_format: str
    original_bytes: int
    width: int
    height: int
    reencoded: bool


def prepare_for_ocr(data: bytes, *, max_send_bytes: int, min_long_side: int) -> PreparedImage:
    """Validates ``data`` and returns bytes the OCR API will accept, or raises ImageRejectedError.

    Contract formats at or under ``max_send_bytes`` go out untouched (no quality loss). Others
    are decoded, turned upright from EXIF, and re-encoded as JPEG: quality is lowered first,
    then the image is scaled down in steps, keeping the long side >= ``min_long_side`` if
    the byte target allows it.
    """
    if not data:
        raise ImageRejectedError(RecordStatus.INVALID_REQUEST, "zero-byte object")
    source_format = sniff_format(data)
    if source_format is None:
        raise ImageRejectedError(RecordStatus.IMAGE_INVALID_FORMAT, "not an image in a supported format")

    sent_as_is = source_format in CONTRACT_FORMATS and len(data) <= max_send_bytes
    image = _decode(data, source_format, reduce_to=None if sent_as_is else (min_long_side * 3) // 2)
    if sent_as_is:
        return PreparedImage(data, source_format, source_format, len(data), image.width, image.height, False)

    encoded, (width, height) = _encode_within(
        image, max_send_bytes=max_send_bytes, min_long_side=min_long_side
    )
    return PreparedImage(encoded, source_format, "jpeg", len(data), width, height, reencoded=True)


def _decode(data: bytes, source_format: str, *, reduce_to: int | None) -> Image.Image:
    """Fully decodes the image so truncated or corrupt files are caught here, not by the API.

    With ``reduce_to``, a JPEG is decoded at the smallest DCT scale whose long side stays at or
    above it (4-8x faster for phone photos that are going to be shrunk anyway).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejectedError(
                    RecordStatus.IMAGE_INVALID_SIZE,
                    f"image has {image.width}x{image.height} pixels; at most {MAX_PIXELS} are decoded",
                )
            if reduce_to is not None and image.format == "JPEG" and max(image.size) > reduce_to:
                scale = reduce_to / max(image.size)
                image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
    except ImageRejectedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejectedError(
            RecordStatus.IMAGE_INVALID_SIZE, f"image has too many pixels: {exc}"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejectedError(
            RecordStatus.IMAGE_INVALID_FORMAT, f"corrupt or truncated {source_format} image"
        ) from exc
    return image


def _encode_within(
    image: Image.Image, *, max_send_bytes: int, min_long_side: int
) -> tuple[bytes, tuple[int, int]]:
    """The JPEG with the largest size, then the highest quality, that fits under the limit."""
    rgb = _upright_rgb(image)
    floor = min(max(rgb.size), ABSOLUTE_MIN_LONG_SIDE)
    target = min(max(rgb.size), MAX_START_LONG_SIDE)
    while True:
        candidate = _resized(rgb, target)
        qualities = JPEG_QUALITIES if target <= min_long_side else _LARGE_IMAGE_QUALITIES
        lowest = _jpeg(candidate, qualities[-1])
        if len(lowest) <= max_send_bytes:
            return _best_quality_under(candidate, max_send_bytes, qualities, lowest), candidate.size
        if target <= floor:
            raise ImageRejectedError(
                RecordStatus.IMAGE_INVALID_SIZE,
                f"image cannot be made smaller than {max_send_bytes} bytes at a legible size "
                f"(smallest attempt {len(lowest)} bytes at {candidate.width}x{candidate.height})",
            )
        # JPEG size grows roughly with the pixel count: jump near the fitting size, but move
        # at least one step, and stop once exactly on min_long_side before going below it.
        estimate = int(target * math.sqrt(max_send_bytes / len(lowest)) * 0.97)
        next_target = max(min(estimate, int(target * SCALE_STEP)), floor)
        if target > min_long_side > next_target:
            next_target = min_long_side
        target = next_target


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Applies the EXIF rotation (re-encoding drops EXIF) and flattens transparency onto white."""
    upright = ImageOps.exif_transpose(image)
    try:
        if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
            rgba = upright.convert("RGBA")
            background = Image.new("RGB", rgba.size, "white")
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return upright if upright.mode == "RGB" else upright.convert("RGB")
    except ValueError as exc:
        raise ImageRejectedError(
            RecordStatus.IMAGE_INVALID_FORMAT, f"unsupported pixel mode {upright.mode}"
        ) from exc


def _best_quality_under(
    image: Image.Image, max_bytes: int, qualities: tuple[int, ...], lowest: bytes
) -> bytes:
    """Binary search over ``qualities`` for the highest one that fits (``lowest``, the last, does)."""
    best = lowest
    lo, hi = 0, len(qualities) - 2  # indexes still untried, best quality first
    while lo <= hi:
        mid = (lo + hi) // 2
        encoded = _jpeg(image, qualities[mid])
        if len(encoded) <= max_bytes:
            best = encoded
            hi = mid - 1
        else:
            lo = mid + 1
    return best


def _resized(image: Image.Image, long_side: int) -> Image.Image:
    if max(image.size) <= long_side:
        return image
    scale = long_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
