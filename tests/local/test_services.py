"""The stand-ins start, answer, fail clearly and stop; bad arguments fail before anything starts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from cnic_ocr.local.runner import main
from cnic_ocr.local.services import MotoServer, OcrServer, ServiceError, free_port


def test_moto_server_answers_on_loopback_and_stops() -> None:
    moto = MotoServer()
    url = moto.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/moto-api/", timeout=5).status_code == 200
    finally:
        moto.stop()
        moto.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/moto-api/", timeout=5)


def test_an_ocr_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    server = OcrServer("", tmp_path / "ocr.log", port=free_port())  # no API key: it refuses to start
    server.start()
    try:
        with pytest.raises(ServiceError, match="stopped while starting: exit code 2") as raised:
            server.wait_ready(timeout=120)
        assert "no API key configured" in str(raised.value)
    finally:
        server.stop()


def test_stopping_an_ocr_server_that_never_started_is_harmless(tmp_path: Path) -> None:
    OcrServer("key", tmp_path / "ocr.log", port=free_port()).stop()


def test_a_second_ctrl_c_kills_the_ocr_server_without_its_grace_period(tmp_path: Path) -> None:
    server = OcrServer("key", tmp_path / "ocr.log", port=free_port())
    # Stands for a server busy with a recognition: SIGTERM alone would not end it.
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); "
    process = subprocess.Popen([sys.executable, "-c", stubborn + "time.sleep(60)"], stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()  # SIGTERM is ignored from now on
    server._process = process
    started = time.monotonic()
    server.stop(hurry=lambda: time.monotonic() - started > 1)
    assert process.returncode == -9 and time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("arguments", "code", "complaint"),
    [
        (["--template", "missing.yaml"], 1, "cannot read the template"),
        (["--parameter", "EventBusMode=sometimes"], 1, "is not one of custom, default"),
        (["--parameter", "novalue"], 2, "expected NAME=VALUE"),
        (["--images", "no-such-folder"], 2, "not a directory"),
        (["--images", "empty-folder"], 2, "no (non-hidden) files"),
    ],
)
def test_bad_arguments_fail_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], code: int, complaint: str
) -> None:
    repo_template = Path(__file__).resolve().parents[2] / "template.yaml"
    defaults = ["--work-dir", str(tmp_path)]
    if "--template" not in arguments:
        defaults += ["--template", str(repo_template)]
    if "--images" in arguments:
        (tmp_path / "empty-folder" / ".hidden").mkdir(parents=True)
        (tmp_path / "empty-folder" / ".hidden" / "card.jpg").write_bytes(b"x")
        arguments = ["--images", str(tmp_path / arguments[1])]
    assert main(["run", *defaults, *arguments]) == code
    captured = capsys.readouterr()
    assert complaint in captured.err
    assert captured.out == ""
