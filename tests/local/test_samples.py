"""What local mode uploads: the default samples and a user's folder."""

from __future__ import annotations

from pathlib import Path

from cnic_ocr.contract import CnicFields
from cnic_ocr.local.samples import default_samples, folder_uploads, has_files


def test_default_samples_are_deterministic_cards_and_bad_inputs() -> None:
    samples = default_samples()
    assert [(s.name, s.data) for s in samples] == [(s.name, s.data) for s in default_samples()]
    expected = [s.expected_status for s in samples]
    assert expected.count("OK") >= 4
    assert {"FAIL", "IMAGE_INVALID_FORMAT", "INVALID_REQUEST"} <= set(expected)
    for sample in samples:
        assert sample.name.startswith("samples/")
        if sample.expected_status == "OK":
            assert sample.truth is not None
            CnicFields.model_validate(sample.truth)
            assert sample.content_type in ("image/jpeg", "image/png")
    assert any(" " in sample.name for sample in samples)  # a key S3 URL-encodes with '+'


def test_a_folder_uploads_every_visible_file_under_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "my cards"
    (folder / "front").mkdir(parents=True)
    (folder / "front" / "a.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "scan.heic").write_bytes(b"heic")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_bytes(b"x")
    uploads = folder_uploads(folder)
    assert [(u.name, u.content_type) for u in uploads] == [
        ("my cards/front/a.jpg", "image/jpeg"),
        ("my cards/scan.heic", "image/heic"),
    ]
    assert all(u.expected_status is None for u in uploads)
    (tmp_path / "only hidden" / ".cache").mkdir(parents=True)
    (tmp_path / "only hidden" / ".cache" / "a.jpg").write_bytes(b"x")
    assert has_files(folder) and not has_files(tmp_path / "only hidden")
