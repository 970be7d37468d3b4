"""END TO END, SLOW (~30-60 s on 2 cores): ``cnic-local run`` for real, as ``make run`` calls it.

moto's server, the real OCR API server (real recognizer) in its own process, the resources of
template.yaml, the default sample uploads, the pipeline's own handler. Asserts every upload's
record and event against what a correct pipeline produces for the synthetic samples, that no
identity number or name reaches the logs, and that every process the run started is gone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnic_ocr.local.samples import default_samples

from .conftest import TEMPLATE

CNIC_LOCAL = Path(sys.executable).with_name("cnic-local")
PREFIX = "uploads/"
DETAIL_TYPES = {
    "OK": "CNIC Upload Recognized",
    "FAIL": "CNIC Upload Failed",
    "INVALID_REQUEST": "CNIC Upload Rejected",
    "IMAGE_INVALID_FORMAT": "CNIC Upload Rejected",
}
FIELD_NAMES = ("idNumber", "name", "fatherName", "gender", "country", "birthDay", "issueDay", "expiryDay")
_OCR_URL = re.compile(r"OCR API server starting on http://127\.0\.0\.1:(\d+)")

pytestmark = pytest.mark.slow


def command(work_dir: Path, *extra: str) -> list[str]:
    return [str(CNIC_LOCAL), "run", "--template", str(TEMPLATE), "--work-dir", str(work_dir), *extra]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_sample_uploads_end_as_the_records_and_events_a_correct_pipeline_produces(tmp_path: Path) -> None:
    samples = {PREFIX + sample.name: sample for sample in default_samples()}
    started = time.monotonic()
    run = subprocess.run(
        command(tmp_path, "--json", "--show-pii"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "AWS_PROFILE": "must-not-be-used"},
        check=False,
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]  # stdout holds nothing but the JSON
    assert [line["key"] for line in lines] == list(samples)

    for line in lines:
        sample, record = samples[line["key"]], line["record"]
        assert record is not None, line["key"]
        assert record["status"] == sample.expected_status, (line["key"], record)
        assert line["events"] == [DETAIL_TYPES[record["status"]]], line["key"]
        if sample.truth is not None:
            assert {name: record.get(name) for name in FIELD_NAMES} == sample.truth, line["key"]
            assert record["provider"] == "127.0.0.1" and record["attempts"] == 1
    by_status = [line["record"]["status"] for line in lines]
    assert by_status.count("OK") >= 4 and "FAIL" in by_status and "IMAGE_INVALID_FORMAT" in by_status

    summary = run.stderr.strip().splitlines()[-1]
    assert f"processed {len(samples)} uploads" in summary
    assert f"{by_status.count('OK')} OK, {by_status.count('FAIL')} FAIL, 2 rejected, 0 error" in summary

    # Personal data never reaches the logs or the progress output in full.
    logs = (tmp_path / "function.log").read_text() + (tmp_path / "ocr-server.log").read_text() + run.stderr
    assert "upload recorded" in logs
    for sample in samples.values():
        if sample.truth is not None:
            assert sample.truth["idNumber"] not in logs
            assert sample.truth["name"] not in logs

    # Every process the run started is stopped.
    match = _OCR_URL.search(run.stderr)
    assert match is not None, run.stderr
    assert not listening(int(match[1]))
    print(f"cnic-local run --json: {seconds:.1f} s")


def test_ctrl_c_stops_every_process_the_run_started(tmp_path: Path) -> None:
    """SIGINT while the samples are generated (numpy.random's first import swallows the exception)."""
    process = subprocess.Popen(
        command(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert process.stderr is not None
    port = None
    stderr_lines = []
    for line in process.stderr:  # wait until the OCR server process exists
        stderr_lines.append(line)
        if match := _OCR_URL.search(line):
            port = int(match[1])
            break
    assert port is not None, "".join(stderr_lines)
    assert ocr_server_processes(port), "the OCR server process should be running by now"
    process.send_signal(signal.SIGINT)  # to the runner only: it must stop its child itself
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Read through the same buffered stream: communicate() would skip what it has read ahead.
    stderr_lines.append(process.stderr.read())
    assert process.returncode == 130, "".join(stderr_lines)
    assert "interrupted; every process this run started is stopped" in stderr_lines[-1]
    assert not listening(port)
    assert ocr_server_processes(port) == []


def ocr_server_processes(port: int) -> list[int]:
    """Live processes whose command line is ``... serve --host 127.0.0.1 --port <port>``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if b"serve" in arguments and str(port).encode() in arguments and state != "Z":
            found.append(int(entry.name))
    return found
