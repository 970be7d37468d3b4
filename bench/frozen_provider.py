"""How many requests a frozen OCR provider receives for one upload (issue 12.1), end to end.

Runs ``cnic-local run --serve`` (moto, the real handler, the local OCR server), freezes the
OCR server with SIGSTOP, uploads one card straight into the bucket, waits until the dispatcher
has run the invocation and Lambda's two retries (each read times out after
OCR_READ_TIMEOUT_SECONDS), resumes the server with SIGCONT and counts the OCR requests the
server then answers, and prints the upload's record. Linux only (/proc, signals).

    .venv/bin/python bench/frozen_provider.py
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from PIL import Image

from cnic_ocr.synth import generate

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
KEY = "uploads/frozen-provider-card.jpg"


def wait_for(log: Path, pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := re.search(pattern, log.read_text(encoding="utf-8", errors="replace")):
            return match
        time.sleep(0.5)
    raise TimeoutError(f"{pattern!r} not in {log} after {timeout} s")


def pid_listening_with(port: int) -> int:
    """The OCR server child: the process whose command line names ``--port <port>``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in args and str(port).encode() in args:
                return int(entry.name)
    raise RuntimeError(f"no OCR server process on port {port}")


def ocr_requests(server_log: Path) -> int:
    count = 0
    for line in server_log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("message") == "request answered" and record.get("path") == "/v1/pk_ocr/general":
                count += 1
    return count


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="frozen-provider-"))
    images = work / "images"
    images.mkdir()
    first, card = (io.BytesIO(), io.BytesIO())  # two cards: the second must not be a reuse of the first
    for seed, jpeg in ((5, first), (6, card)):
        Image.open(io.BytesIO(generate(seed, "clean").image)).convert("RGB").save(
            jpeg, format="JPEG", quality=85
        )
    (images / "card.jpg").write_bytes(first.getvalue())
    run_log = work / "run.log"
    with run_log.open("w") as out:
        run = subprocess.Popen(
            [
                str(BIN / "cnic-local"),
                "run",
                "--serve",
                "--images",
                str(images),
                "--work-dir",
                str(work / "run"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,  # template.yaml
        )
    try:
        moto = wait_for(run_log, r"moto server answers on (http://[\d.:]+)", 60)[1]
        api = wait_for(run_log, r"API URL:\s+(http://[\d.:]+)", 300)[1]
        bucket = wait_for(run_log, r"s3://([^/\s]+)/uploads/<uploadId>", 10)[1]
        server_log = work / "run" / "ocr-server.log"
        answered_before = ocr_requests(server_log)
        server = pid_listening_with(int(api.rsplit(":", 1)[1]))
        os.kill(server, signal.SIGSTOP)
        frozen_at = time.monotonic()
        print(f"OCR server (pid {server}) frozen; uploading s3://{bucket}/{KEY}")
        s3 = boto3.client(
            "s3",
            endpoint_url=moto,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.put_object(Bucket=bucket, Key=KEY, Body=card.getvalue())
        line = wait_for(run_log, r"\[1\] [^\n]*frozen-provider-card[^\n]*", 300)[0]
        print(f"after {time.monotonic() - frozen_at:.0f} s the run printed: {line.strip()}")
        os.kill(server, signal.SIGCONT)
        time.sleep(15)  # the server answers what reached it while frozen
        received = ocr_requests(server_log) - answered_before
        print(f"OCR requests the provider received for this upload: {received}")
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("RecordsTable"))
        item = dynamodb.get_item(TableName=table, Key={"recordId": {"S": f"{bucket}/{KEY}"}})["Item"]
        shown = {
            name: next(iter(item[name].values()))
            for name in ("status", "reason", "attempts", "billableCalls")
        }
        print(f"record: {json.dumps(shown)}")
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
