"""What local mode uploads: a handful of generated cards and bad inputs, or the user's own files.

The default samples come from ``cnic_ocr.synth`` (fixed seeds, so every run uploads the same
bytes) and carry what a correct pipeline records for them, which the end-to-end test checks.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cnic_ocr.synth import generate

#: Folder under the upload prefix that holds the default samples.
SAMPLES_FOLDER: Final = "samples"

#: (condition, seed, file name stem): clean scans (a 0.9 MB PNG the pipeline downscales, a JPEG),
#: phone photos (one key with a space, as users name files), one photo turned 90° and one
#: picture of something that is not a card (coloured shapes). The cards are ones the
#: recognizer reads correctly, so a wrong record in the demo means the pipeline broke them.
_GENERATED: Final = (
    ("clean", 0, "clean-0"),
    ("clean", 4, "clean-4"),
    ("phone", 3, "phone-3"),
    ("phone", 7, "phone photo 7"),
    ("rotated", 1, "rotated-1"),
    ("negative", 6, "not-a-card-6"),
)

#: A PDF (people upload scans as PDFs): not an image the OCR contract reads.
_NOT_AN_IMAGE: Final = (
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass(frozen=True, slots=True)
class Upload:
    """One object to put under the upload prefix."""

    name: str  # path below the upload prefix
    data: bytes
    content_type: str
    #: The record status a correct pipeline ends with (None for the user's files).
    expected_status: str | None = None
    #: The fields a correct recognition returns (only for generated cards).
    truth: dict[str, str] | None = None


def default_samples() -> list[Upload]:
    """The generated cards and bad inputs (deterministic)."""
    uploads: list[Upload] = []
    for condition, seed, stem in _GENERATED:
        sample = generate(seed, condition)
        uploads.append(
            Upload(
                name=f"{SAMPLES_FOLDER}/{stem}.{sample.extension}",
                data=sample.image,
                content_type=f"image/{sample.fmt}",
                expected_status="FAIL" if sample.kind == "negative" else "OK",
                truth=sample.truth,
            )
        )
    uploads.append(
        Upload(f"{SAMPLES_FOLDER}/id-card-scan.pdf", _NOT_AN_IMAGE, "application/pdf", "IMAGE_INVALID_FORMAT")
    )
    uploads.append(Upload(f"{SAMPLES_FOLDER}/empty.jpg", b"", "image/jpeg", "INVALID_REQUEST"))
    return uploads


def folder_uploads(folder: Path) -> list[Upload]:
    """Every regular, non-hidden file below ``folder``, as ``<folder name>/<relative path>``."""
    root = folder.resolve()
    return [
        Upload(
            name=f"{root.name}/{path.relative_to(root).as_posix()}",
            data=path.read_bytes(),
            content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        )
        for path in _files(root)
    ]


def has_files(folder: Path) -> bool:
    """Whether :func:`folder_uploads` would upload anything."""
    return next(_files(folder.resolve()), None) is not None


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.is_file() and not hidden:
            yield path
