"""The benchmark scores answers against each sample's expected body and leaks nothing of real cards."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import cnic_ocr.recognizer
from cnic_ocr.contract import EXAMPLE_FIELDS, MSG_NOT_IDENTITY_CARD

BENCH = Path(__file__).resolve().parents[2] / "bench" / "recognizer_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("recognizer_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["recognizer_bench"] = module
    spec.loader.exec_module(module)
    return module


class AlwaysTheExample:
    """A stand-in recognizer that answers every image with the contract's example card."""

    def recognize(self, data: bytes) -> dict[str, Any]:
        return {"status": "OK", "message": dict(EXAMPLE_FIELDS)}


def test_a_fail_counts_every_field_wrong_and_a_wrong_field_makes_a_wrong_ok(bench: ModuleType) -> None:
    tally = bench.Tally()
    expected = {"status": "OK", "message": dict(EXAMPLE_FIELDS)}
    assert tally.add(expected, {"status": "OK", "message": dict(EXAMPLE_FIELDS)}, 0.1)
    assert not tally.add(expected, {"status": "OK", "message": {**EXAMPLE_FIELDS, "gender": "M"}}, 0.2)
    assert not tally.add(expected, {"status": "FAIL", "message": "check input image and retry"}, 0.3)
    summary = tally.summary()
    assert summary["field_accuracy"] == round(15 / 24, 4)
    assert summary["exact_rate"] == round(1 / 3, 4)
    assert summary["wrong_ok_rate"] == round(1 / 3, 4)
    assert summary["answers"] == {"OK": 2, "FAIL: check input image and retry": 1}
    assert summary["per_field_accuracy"]["gender"] == round(1 / 3, 4)
    assert summary["per_field_accuracy"]["name"] == round(2 / 3, 4)


def test_expected_fails_are_scored_by_message(bench: ModuleType) -> None:
    tally = bench.Tally()
    expected = {"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD}
    assert tally.add(expected, {"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD}, 0.1)
    assert not tally.add(expected, {"status": "FAIL", "message": "check input image and retry"}, 0.1)
    summary = tally.summary()
    assert (summary["right_answer_rate"], summary["rejected_rate"], summary["wrong_ok_rate"]) == (
        0.5,
        1.0,
        0.0,
    )


def test_real_cards_report_only_aggregates(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Null truth fields are not scored, and no value or file name reaches the results."""
    monkeypatch.setattr(cnic_ocr.recognizer, "Recognizer", AlwaysTheExample)
    cards = tmp_path / "cards"
    (cards / "img").mkdir(parents=True)
    front_truth = {**EXAMPLE_FIELDS, "birthDay": None}
    records = [
        {"file": "img/front-secret.jpg", "expect": {"status": "OK", "message": front_truth}, "tags": ["x"]},
        {"file": "img/back-secret.jpg", "expect": {"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD}},
    ]
    for record in records:
        (cards / record["file"]).write_bytes(b"not read by the stand-in")
    (cards / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "result"
    assert bench.main(["--real-only", "--real-cards", str(cards), "--out", str(out)]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["real_cards"]["all fronts"]["field_accuracy"] == 1.0
    assert report["real_cards"]["all fronts"]["exact_rate"] == 1.0
    assert report["real_cards"]["all fronts"]["per_field_accuracy"]["birthDay"] is None
    assert report["real_cards"]["backs"]["wrong_ok_rate"] == 1.0
    for text in (out.with_suffix(".json").read_text(), out.with_suffix(".md").read_text()):
        assert "secret" not in text
        assert all(value not in text for value in EXAMPLE_FIELDS.values() if len(value) > 1)


def test_an_absent_real_cards_folder_is_skipped(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cnic_ocr.recognizer, "Recognizer", AlwaysTheExample)
    args = ["--n", "1", "--families", "legacy", "--conditions", "negative", "--seed", "3"]
    assert bench.main([*args, "--real-cards", str(tmp_path / "absent"), "--out", str(tmp_path / "r")]) == 0
    assert "real cards skipped" in capsys.readouterr().err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["real_cards"] is None
    assert report["synthetic"]["results"]["legacy"]["negative"]["wrong_ok_rate"] == 1.0


def test_a_family_gets_an_all_conditions_row_for_its_fronts(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cnic_ocr.recognizer, "Recognizer", AlwaysTheExample)
    args = ["--n", "1", "--families", "nicop", "--conditions", "lowres", "handheld", "negative"]
    assert bench.main([*args, "--real-cards", str(tmp_path / "absent"), "--out", str(tmp_path / "r")]) == 0
    results = json.loads((tmp_path / "r.json").read_text())["synthetic"]["results"]["nicop"]
    assert results["all"]["images"] == 2
    assert "| nicop (held out) | all | 2 |" in (tmp_path / "r.md").read_text()
