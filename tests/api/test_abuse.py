"""Issue 12: the real server under abuse: refusals before bodies, oversize bodies, slow clients, logs."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from cnic_ocr.api.core import MAX_REQUEST_BODY_BYTES
from cnic_ocr.synth import generate

from .support import API_KEY, LiveServer, b64, png_bytes, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
INVALID_SIZE = {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = start_server()
    yield live
    stop_server(live)


def connect(server: LiveServer) -> socket.socket:
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def read_answer(conn: socket.socket) -> tuple[int, Any]:
    """The status and JSON body of the one answer the server sends before closing."""
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def headers_only(key: str, content_length: int, extra: str = "") -> bytes:
    return (
        f"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: test\r\nX-API-Key: {key}\r\n{extra}"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {content_length}\r\n\r\n"
    ).encode()


#: What curl adds to a POST of more than 1 MiB: the server may answer before the body is sent.
EXPECT_CONTINUE = "Expect: 100-continue\r\n"


@pytest.mark.parametrize("expect", ["", EXPECT_CONTINUE], ids=["plain", "expect-100-continue"])
@pytest.mark.parametrize("content_length", [66_000_000, 1_000_000])
def test_a_wrong_key_is_refused_from_the_headers_before_any_body(
    server: LiveServer, content_length: int, expect: str
) -> None:
    """12.4: 403, not 413 (nor "100 Continue"), and without waiting for a body that never comes."""
    with connect(server) as conn:
        conn.sendall(headers_only("wrong-key", content_length, expect))
        started = time.monotonic()
        assert read_answer(conn) == (403, {"message": "Forbidden"})
        assert time.monotonic() - started < 5


def test_a_missing_key_is_refused_from_the_headers(server: LiveServer) -> None:
    with connect(server) as conn:
        conn.sendall(b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: test\r\nContent-Length: 5000000\r\n\r\nimg=")
        assert read_answer(conn) == (403, {"message": "Forbidden"})


@pytest.mark.parametrize("expect", ["", EXPECT_CONTINUE], ids=["plain", "expect-100-continue"])
def test_a_right_key_with_an_oversize_declared_body_is_still_413(server: LiveServer, expect: str) -> None:
    with connect(server) as conn:
        conn.sendall(headers_only(API_KEY, MAX_REQUEST_BODY_BYTES + 1, expect))
        assert read_answer(conn) == (413, INVALID_SIZE)


@pytest.mark.parametrize("image_bytes", [2_500_000, 3_200_000, 7_000_000])
def test_oversize_images_up_to_10_mb_get_the_contracts_200(server: LiveServer, image_bytes: int) -> None:
    """12.5: a 3.2 MB JPEG gets the same 200 IMAGE_INVALID_SIZE as a 2.5 MB one (it was 413)."""
    jpeg = b"\xff\xd8\xff\xe0" + bytes(image_bytes - 4)
    response = requests.post(
        server.endpoint, data={"img": b64(jpeg)}, headers={"X-API-Key": API_KEY}, timeout=60
    )
    assert (response.status_code, response.json()) == (200, INVALID_SIZE)


def test_bodies_over_10_mib_are_413(server: LiveServer) -> None:
    body = b"img=" + b"A" * MAX_REQUEST_BODY_BYTES
    response = requests.post(server.endpoint, data=body, headers={"X-API-Key": API_KEY}, timeout=60)
    assert (response.status_code, response.json()) == (413, INVALID_SIZE)


def wait_for_log(server: LiveServer, message: str, timeout: float = 5.0) -> dict[str, Any]:
    """The first log line with ``message`` (the limits are logged once a second, at most)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.logs():
            if line["message"] == message:
                return line
        time.sleep(0.1)
    raise AssertionError(f"no {message!r} in the server's log")


def test_150_stalled_connections_do_not_lock_out_a_valid_request(server: LiveServer) -> None:
    """12.3: sockets that send part of a request and stay open; an honest client is still served."""
    stalled = []
    try:
        for number in range(150):
            conn = connect(server)
            if number % 2:
                conn.sendall(b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: x\r\n")
            else:  # a valid key, a 4 MB body declared, a few bytes of it sent
                conn.sendall(headers_only(API_KEY, 4_000_000) + b"img=AAAA")
            stalled.append(conn)
        started = time.monotonic()
        response = requests.post(
            server.endpoint, data={"img": b64(png_bytes())}, headers={"X-API-Key": API_KEY}, timeout=20
        )
        assert response.status_code == 200 and response.json()["status"] == "FAIL"
        assert time.monotonic() - started < 10
        assert wait_for_log(server, "slow clients disconnected")["closed"]["connection limit"] > 0
    finally:
        for conn in stalled:
            conn.close()


def test_a_client_that_never_finishes_its_headers_is_disconnected(server: LiveServer) -> None:
    """A header line every 0.5 s keeps the connection active, but never completes a request."""
    with connect(server) as conn:
        conn.settimeout(30)
        conn.sendall(b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()

        def trickle() -> None:
            try:
                for _ in range(60):
                    time.sleep(0.5)
                    conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass  # closed by the server

        threading.Thread(target=trickle, daemon=True).start()
        with contextlib.suppress(ConnectionResetError):  # closed with the trickle unread
            assert conn.recv(1024) == b""
        assert 10 <= time.monotonic() - started < 15


def test_waitress_lines_are_json_too(server: LiveServer) -> None:
    """12.7: "Task queue depth is N" came out as plain text; every line of output is JSON now."""
    threads = [
        threading.Thread(
            target=requests.post,
            args=(server.endpoint,),
            kwargs={
                "data": {"img": b64(png_bytes(64 + n, 40))},
                "headers": {"X-API-Key": API_KEY},
                "timeout": 60,
            },
        )
        for n in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    lines = list(server.lines)
    queue_lines = [json.loads(line) for line in lines if "Task queue depth" in line]
    assert queue_lines and all(line["name"] == "waitress.queue" for line in queue_lines)
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == []


def readme_curl_command() -> str:
    """The first example of README's "Calling the OCR API", without the line starting the server."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Calling the OCR API") :]
    block = section[
        section.index("```sh\n") + len("```sh\n") : section.index("```\n", section.index("```sh"))
    ]
    lines = [line for line in block.splitlines() if "cnic-ocr serve" not in line]
    return "\n".join(lines)


def test_the_readme_example_works_with_a_photo_over_the_argument_limit(
    server: LiveServer, tmp_path: Path
) -> None:
    """12.8: ``img=$(base64 card.jpg)`` failed above ~96 KB ("Argument list too long")."""
    sample = generate(seed=3, condition="clean")
    out = io.BytesIO()
    Image.open(io.BytesIO(sample.image)).convert("RGB").save(out, format="JPEG", quality=95)
    (tmp_path / "card.jpg").write_bytes(out.getvalue())
    assert len(b64(out.getvalue())) > 128 * 1024
    command = readme_curl_command().replace("http://127.0.0.1:8080", server.url).replace("AbcdEfgh", API_KEY)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command + " --silent --show-error"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "OK", "message": sample.truth}


def test_self_hosters_set_the_limits_on_the_command_line(tmp_path: Path) -> None:
    """``cnic-ocr serve --header-timeout 2 ...``: logged at start, and a stalled client is closed at 2 s."""
    keys = tmp_path / "keys"
    keys.write_text(API_KEY + "\n", encoding="ascii")
    command = [
        str(Path(sys.executable).parent / "cnic-ocr"),
        "serve",
        "--port",
        "0",
        "--api-key-file",
        str(keys),
    ]
    command += ["--connection-limit", "20", "--header-timeout", "2", "--min-body-rate", "4096"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        serving = next(json.loads(line) for line in process.stdout if '"serving"' in line)
        assert serving["limits"] == {
            "connection_limit": 20,
            "header_timeout_seconds": 2.0,
            "min_body_bytes_per_second": 4096,
            "body_grace_seconds": 5.0,
        }
        address = urlsplit(serving["url"])
        with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
            conn.sendall(b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            assert conn.recv(1024) == b""
            assert 2 <= time.monotonic() - started < 5
    finally:
        process.terminate()
        process.wait(timeout=30)
