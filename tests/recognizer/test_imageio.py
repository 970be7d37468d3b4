"""Untrusted bytes: format by content, size limits, corrupt files and decompression bombs."""

import io
import struct
import zlib

import pytest
from PIL import Image

from cnic_ocr.contract import MAX_IMAGE_BYTES
from cnic_ocr.recognizer.imageio import (
    ImageFormat,
    ImageIntakeError,
    IntakeProblem,
    decode_image,
    sniff_format,
)


def encoded(fmt: str, size: tuple[int, int] = (64, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(buffer, fmt)
    return buffer.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb's shape)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "expected"), [("JPEG", ImageFormat.JPEG), ("PNG", ImageFormat.PNG), ("BMP", ImageFormat.BMP)]
)
def test_supported_formats_decode_to_bgr(fmt: str, expected: ImageFormat) -> None:
    decoded = decode_image(encoded(fmt))
    assert decoded.fmt is expected
    assert decoded.pixels.shape == (40, 64, 3)
    assert tuple(int(v) for v in decoded.pixels[0, 0]) == pytest.approx((90, 160, 30), abs=3)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", IntakeProblem.EMPTY),
        (encoded("GIF"), IntakeProblem.UNSUPPORTED_FORMAT),
        (encoded("TIFF"), IntakeProblem.UNSUPPORTED_FORMAT),
        (b"%PDF-1.7 not an image", IntakeProblem.UNSUPPORTED_FORMAT),
        (encoded("JPEG")[:200], IntakeProblem.CORRUPT),
        (encoded("PNG")[:60], IntakeProblem.CORRUPT),
        (b"\xff\xd8\xff" + b"\0" * 500, IntakeProblem.CORRUPT),
        (png_header_claiming(60_000, 60_000), IntakeProblem.TOO_MANY_PIXELS),
        (b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES, IntakeProblem.TOO_LARGE),
    ],
    ids=[
        "empty",
        "gif",
        "tiff",
        "pdf",
        "truncated-jpeg",
        "truncated-png",
        "garbage-jpeg",
        "bomb",
        "over-2MiB",
    ],
)
def test_bad_input_is_named_not_crashed(data: bytes, problem: IntakeProblem) -> None:
    with pytest.raises(ImageIntakeError) as caught:
        decode_image(data)
    assert caught.value.problem is problem


def test_format_is_sniffed_from_content_not_claims() -> None:
    assert sniff_format(encoded("PNG")) is ImageFormat.PNG
    assert sniff_format(b"BM") is None  # too short to be a bitmap


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
def test_a_large_png_is_decoded_reduced_to_about_the_working_size(mode: str) -> None:
    """Issue 12.6: a 6300 x 6300 PNG must not reach the recognizer (and memory) at full size."""
    rgb = Image.new("RGB", (6300, 4200), (30, 160, 90))
    image = rgb.convert(mode, palette=Image.Palette.ADAPTIVE) if mode == "P" else rgb.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = decode_image(buffer.getvalue(), max_side=2000)
    assert decoded.pixels.shape == (1400, 2100, 3)  # a whole factor (3), long side >= 2000
    red, green, blue = image.convert("RGB").getpixel((3150, 2100))
    assert tuple(int(v) for v in decoded.pixels[700, 1050]) == pytest.approx((blue, green, red), abs=3)


def test_a_png_under_twice_the_working_size_is_left_alone() -> None:
    assert decode_image(encoded("PNG", (3999, 100)), max_side=2000).pixels.shape == (100, 3999, 3)
    assert decode_image(encoded("BMP", (4000, 90)), max_side=2000).pixels.shape == (45, 2000, 3)
