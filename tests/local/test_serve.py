"""END TO END (~15-40 s on 2 cores): ``cnic-local run --serve`` and the mobile flow against it.

The runner for real (moto's server, the OCR API server with the uploads routes, the
template's resources, the pipeline's handler); the test is the mobile app: it asks for a slot,
posts a synthetic card to the presigned URL (moto's S3), polls until the pipeline recorded it,
then stops the runner with SIGINT and checks that every process it started is gone.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from cnic_ocr.synth import generate

from .test_end_to_end import command, listening, ocr_server_processes

#: A clean scan the recognizer reads exactly (also a default sample, ``clean-4.jpg``).
CARD = generate(4, "clean")
START_TIMEOUT_SECONDS = 180.0  # the model loads before the server answers
RESULT_TIMEOUT_SECONDS = 60.0
_API_URL = re.compile(r"^  API URL:  (http://127\.0\.0\.1:(\d+))$", re.MULTILINE)
_API_KEY = re.compile(r"^  API key:  (\S+)$", re.MULTILINE)

pytestmark = pytest.mark.slow


def wait_for_serving(process: subprocess.Popen[bytes], stdout: Path, stderr: Path) -> tuple[str, int, str]:
    """The API URL, its port and the key ``--serve`` prints once it processes new uploads."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        printed = stdout.read_text()
        url, key = _API_URL.search(printed), _API_KEY.search(printed)
        if url and key and "Ctrl-C stops" in stderr.read_text():
            return url[1], int(url[2]), key[1]
        assert process.poll() is None, f"cnic-local ended with {process.returncode}:\n{stderr.read_text()}"
        time.sleep(0.2)
    raise AssertionError(f"cnic-local run --serve did not start serving:\n{stderr.read_text()}")


def test_the_mobile_flow_against_local_mode_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "empty.jpg").write_bytes(b"")  # the run's own uploads: one, with no OCR call
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command(tmp_path / "work", "--serve", "--images", str(images)),
            stdout=out,
            stderr=err,
            cwd=tmp_path,
        )
    try:
        api, port, key = wait_for_serving(process, stdout, stderr)
        headers = {"X-API-Key": key}

        created = requests.post(
            f"{api}/v1/uploads", headers=headers, json={"contentType": "image/jpeg"}, timeout=30
        )
        assert created.status_code == 201, created.text
        slot = created.json()
        assert slot["url"].startswith("http://127.0.0.1:") and not slot["url"].startswith(api), slot["url"]
        posted = requests.post(
            slot["url"],
            data=slot["fields"],
            files={"file": ("card.jpg", CARD.image, "image/jpeg")},
            timeout=30,
        )
        assert posted.status_code == 204, posted.text

        poll_url = f"{api}/v1/uploads/{slot['uploadId']}"
        deadline = time.monotonic() + RESULT_TIMEOUT_SECONDS
        answer = requests.get(poll_url, headers=headers, timeout=30)
        while answer.json() == {"status": "PENDING"} and time.monotonic() < deadline:
            time.sleep(0.5)
            answer = requests.get(poll_url, headers=headers, timeout=30)
        assert (answer.status_code, answer.json()) == (200, {"status": "OK", "message": CARD.truth})
        assert requests.get(poll_url, timeout=30).status_code == 403  # no key, no answer
        # The runner prints its progress line after the record is written: give it a moment.
        progress = rf"\[1\] {re.escape(slot['uploadId'])}: OK"
        printed_by = time.monotonic() + 10
        while not re.search(progress, stderr.read_text()) and time.monotonic() < printed_by:
            time.sleep(0.2)
        assert re.search(progress, stderr.read_text()), stderr.read_text()

        assert ocr_server_processes(port), "the OCR server process should be running"
        process.send_signal(signal.SIGINT)  # to the runner only: it must stop its child itself
        assert process.wait(timeout=60) == 0, stderr.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stopping (SIGINT)" in stderr.read_text()
    assert not listening(port)
    assert ocr_server_processes(port) == []
    # The uploads' identity numbers stay out of the progress output and the logs.
    logs = stderr.read_text() + "".join(path.read_text() for path in (tmp_path / "work").glob("*.log"))
    assert CARD.truth is not None and CARD.truth["idNumber"] not in logs
