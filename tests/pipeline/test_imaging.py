"""Image checks and downscaling before the OCR call."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnic_ocr.image_format import sniff_format
from cnic_ocr.pipeline.domain.imaging import MAX_PIXELS, ImageRejectedError, prepare_for_ocr
from cnic_ocr.records.model import RecordStatus

from .support import (
    PDF_BYTES,
    card_image,
    decoded,
    encode,
    garbage_after_jpeg_magic,
    phone_photo_jpeg,
    small_card_jpeg,
    truncated_jpeg,
)

LIMIT = 200_000


def prepare(data: bytes, **options: int) -> tuple[bytes, Image.Image, bool]:
    prepared = prepare_for_ocr(
        data,
        max_send_bytes=options.get("max_send_bytes", LIMIT),
        min_long_side=options.get("min_long_side", 1200),
    )
    return prepared.data, decoded(prepared.data), prepared.reencoded


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("BMP", "bmp"), ("WEBP", "webp"), ("HEIF", "heic"), ("AVIF", "avif")],
)
def test_formats_are_told_by_their_magic_bytes(fmt: str, expected: str) -> None:
    assert sniff_format(encode(card_image(120), fmt)) == expected


@pytest.mark.parametrize("data", [b"", PDF_BYTES, b"GIF89a" + bytes(20), b"II*\x00" + bytes(20), b"hello"])
def test_other_bytes_are_not_images(data: bytes) -> None:
    assert sniff_format(data) is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP"])
def test_contract_formats_under_the_limit_go_out_byte_for_byte(fmt: str) -> None:
    data = encode(card_image(300), fmt)  # an uncompressed BMP of 300 px is 160 KB
    assert len(data) <= LIMIT
    sent, _, reencoded = prepare(data)
    assert sent == data and not reencoded


def test_a_4_mb_phone_photo_becomes_a_jpeg_under_200_kb_at_least_1200_px_long() -> None:
    photo = phone_photo_jpeg()
    sent, image, reencoded = prepare(photo)
    assert reencoded
    assert len(sent) <= LIMIT
    assert image.format == "JPEG" and image.mode == "RGB"
    assert max(image.size) >= 1200
    assert image.size[0] / image.size[1] == pytest.approx(4 / 3, rel=0.01)


def test_a_large_png_over_the_limit_is_reencoded_as_jpeg_at_full_size() -> None:
    rng = np.random.default_rng(3)
    noisy = (np.asarray(card_image(1400)) + rng.normal(0, 6, (883, 1400, 3))).clip(0, 255).astype(np.uint8)
    png = encode(Image.fromarray(noisy), "PNG")
    assert len(png) > LIMIT
    sent, image, _ = prepare(png)
    assert len(sent) <= LIMIT
    assert image.format == "JPEG" and image.size == (1400, 883)


def test_transparency_is_flattened_onto_white() -> None:
    rgba = Image.new("RGBA", (1600, 1000), (0, 0, 0, 0))
    rgba.paste(card_image(800).convert("RGBA"), (400, 200))
    noise = np.random.default_rng(5).integers(0, 255, (1000, 1600, 4), dtype=np.uint8)
    noise[..., 3] = 0  # invisible noise keeps the PNG big
    big = Image.alpha_composite(Image.fromarray(noise, "RGBA"), rgba)
    sent, image, _ = prepare(encode(big, "PNG"), max_send_bytes=150_000)
    assert len(sent) <= 150_000
    assert image.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


def test_the_exif_orientation_is_applied_before_reencoding() -> None:
    image = card_image(1300)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    rng = np.random.default_rng(9)
    noisy = Image.fromarray(
        (np.asarray(image) + rng.normal(0, 8, (820, 1300, 3))).clip(0, 255).astype(np.uint8)
    )
    data = encode(noisy, "JPEG", quality=95, exif=exif)
    assert len(data) > LIMIT
    _, sent, _ = prepare(data)
    assert sent.height > sent.width  # upright portrait, as the phone displayed it


def test_heic_and_webp_are_converted_even_when_small() -> None:
    for fmt in ("HEIF", "WEBP"):
        data = encode(card_image(700), fmt)
        assert len(data) <= LIMIT
        _sent, image, reencoded = prepare(data)
        assert reencoded and image.format == "JPEG" and image.size == (700, 441)


@pytest.mark.parametrize(
    "data",
    [truncated_jpeg(), garbage_after_jpeg_magic(), b"\x89PNG\r\n\x1a\n" + bytes(64), b"BM" + bytes(64)],
    ids=["truncated-jpeg", "garbage-jpeg", "broken-png", "broken-bmp"],
)
def test_corrupt_images_are_rejected_as_invalid_format(data: bytes) -> None:
    with pytest.raises(ImageRejectedError) as raised:
        prepare(data)
    assert raised.value.status is RecordStatus.IMAGE_INVALID_FORMAT
    assert raised.value.reason.startswith("corrupt or truncated")


def test_zero_bytes_and_non_images_are_rejected() -> None:
    with pytest.raises(ImageRejectedError) as empty:
        prepare(b"")
    assert empty.value.status is RecordStatus.INVALID_REQUEST
    with pytest.raises(ImageRejectedError) as pdf:
        prepare(PDF_BYTES)
    assert pdf.value.status is RecordStatus.IMAGE_INVALID_FORMAT


def test_a_decompression_bomb_is_rejected_before_decoding() -> None:
    side = int(MAX_PIXELS**0.5) + 100
    bomb = encode(Image.new("1", (side, side)), "PNG")
    assert len(bomb) < 2_000_000
    with pytest.raises(ImageRejectedError) as raised:
        prepare(bomb)
    assert raised.value.status is RecordStatus.IMAGE_INVALID_SIZE


def test_an_image_that_cannot_fit_at_a_legible_size_is_rejected_not_mangled() -> None:
    rng = np.random.default_rng(11)
    noise = Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), dtype=np.uint8))
    with pytest.raises(ImageRejectedError) as raised:
        prepare(encode(noise, "PNG"), max_send_bytes=20_000)
    assert raised.value.status is RecordStatus.IMAGE_INVALID_SIZE
    assert "cannot be made smaller than 20000 bytes" in raised.value.reason


def test_small_cards_keep_their_bytes_and_size() -> None:
    data = small_card_jpeg()
    sent, image, _ = prepare(data)
    assert sent == data and image.size == Image.open(io.BytesIO(data)).size
