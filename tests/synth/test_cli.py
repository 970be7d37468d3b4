"""``python -m cnic_ocr.synth`` writes images and their truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from cnic_ocr.synth import generate
from cnic_ocr.synth.__main__ import main


def test_writes_images_and_truth_lines(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--count", "2", "--condition", "lowres", "--seed", "3"]) == 0
    records = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert [record["file"] for record in records] == ["lowres-3.jpg", "lowres-4.jpg"]
    for record in records:
        data = (tmp_path / record["file"]).read_bytes()
        assert data == generate(record["seed"], "lowres").image
        assert record["truth"] == generate(record["seed"], "lowres").truth
        with Image.open(tmp_path / record["file"]) as image:
            assert image.size == (record["meta"]["width"], record["meta"]["height"])


def test_writes_a_family_with_its_expected_answer(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--count", "1", "--condition", "clean", "--family", "legacy"]) == 0
    (record,) = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert record["file"].startswith("legacy-clean-0.")
    assert (record["family"], record["kind"], record["truth"]) == ("legacy", "legacy_front", None)
    assert record["expected"] == generate(0, "clean", "legacy").expected
    assert (tmp_path / record["file"]).read_bytes() == generate(0, "clean", "legacy").image


def test_rejects_an_unknown_condition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), "--condition", "blurry"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
