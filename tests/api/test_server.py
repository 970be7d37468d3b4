"""Contract tests: the real server (waitress, real recognizer) on loopback, driven by curl and requests."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image, ImageDraw

from cnic_ocr.api.core import MAX_REQUEST_BODY_BYTES
from cnic_ocr.contract import MAX_IMAGE_BYTES, CnicFields
from cnic_ocr.synth import generate

from .support import API_KEY, OTHER_KEY, LiveServer, b64, png_bytes, start_server, stop_server

INVALID_REQUEST = {"status": "INVALID_REQUEST", "message": "check request params"}
INVALID_FORMAT = {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"}
INVALID_SIZE = {"status": "IMAGE_INVALID_SIZE", "message": "image larger than 2M"}
#: What a plain picture or a page of text is: no card, so not a card front to retry.
NOT_IDENTITY_CARD = {"status": "FAIL", "message": "not identity card"}
#: A JPEG by its magic bytes, one byte over the contract's limit.
OVERSIZED_JPEG = b"\xff\xd8\xff\xe0" + bytes(MAX_IMAGE_BYTES - 3)

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(
    url: str,
    *,
    key: str | None = API_KEY,
    img: str | None = None,
    img_file: Path | None = None,
    extra: tuple[str, ...] = (),
) -> Any:
    """The commercial example, option for option (plus -sS, --max-time and --write-out to read the answer).

    ``img_file`` sends the base64 from a file (``--data-urlencode img@FILE``), the same request
    for a value longer than one command-line argument may be (128 KiB on Linux).
    """
    args = ["curl", "-sS", "--max-time", "60", "--write-out", "\n%{http_code}"]
    args += ["--location", "--request", "POST", url]
    args += ["--header", "Content-Type: application/x-www-form-urlencoded"]
    if key is not None:
        args += ["--header", f"X-API-Key: {key}"]
    if img is not None:
        args += ["--data-urlencode", f"img={img}"]
    if img_file is not None:
        args += ["--data-urlencode", f"img@{img_file}"]
    args += list(extra)
    done = subprocess.run(args, capture_output=True, text=True, timeout=90, check=True)
    body, _, code = done.stdout.rpartition("\n")
    return int(code), json.loads(body)


#: Longest single command-line argument on Linux (MAX_ARG_STRLEN), less some room.
ARGV_LIMIT = 128 * 1024 - 1024


def argv_sized_card(seed: int) -> tuple[bytes, dict[str, str]]:
    """A synthetic card scan, re-encoded (JPEG q75, shrunk if need be) so ``img=BASE64`` fits one argument."""
    sample = generate(seed, "clean")
    image = Image.open(io.BytesIO(sample.image)).convert("RGB")
    while True:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=75)
        if len("img=") + len(b64(out.getvalue())) <= ARGV_LIMIT:
            assert sample.truth is not None
            return out.getvalue(), sample.truth
        image = image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.Resampling.LANCZOS)


def test_commercial_curl_request_verbatim_reads_a_synthetic_card(live_server: LiveServer) -> None:
    image, truth = argv_sized_card(seed=1)
    code, body = curl(live_server.endpoint, img=b64(image))
    assert code == 200
    assert list(body) == ["status", "message"]
    assert body == {"status": "OK", "message": CnicFields.model_validate(truth).model_dump()}
    # PII stays out of the server's logs.
    server_log = "".join(live_server.lines)
    for field in ("idNumber", "name", "fatherName"):
        assert truth[field] not in server_log


def test_curl_with_a_large_card_image_from_a_file(live_server: LiveServer, tmp_path: Path) -> None:
    sample = generate(seed=2, condition="clean")
    lossless = io.BytesIO()
    Image.open(io.BytesIO(sample.image)).save(lossless, format="PNG")  # a scan saved as PNG: ~1 MB
    encoded = tmp_path / "card.b64"
    encoded.write_text(b64(lossless.getvalue()), encoding="ascii")
    assert encoded.stat().st_size > 500_000
    code, body = curl(live_server.endpoint, img_file=encoded)
    assert (code, body) == (200, {"status": "OK", "message": sample.truth})


def test_commercial_curl_request_with_an_image_that_is_not_a_card(live_server: LiveServer) -> None:
    code, body = curl(live_server.endpoint, img=b64(png_bytes()))
    assert (code, body) == (200, NOT_IDENTITY_CARD)


@pytest.mark.parametrize(
    ("img", "key", "expected"),
    [
        pytest.param(
            b64(b"just some text, not a picture"), API_KEY, (200, INVALID_FORMAT), id="not-an-image"
        ),
        pytest.param(b64(b"GIF89a" + bytes(64)), OTHER_KEY, (200, INVALID_FORMAT), id="gif"),
        pytest.param("not base64 at all!", API_KEY, (200, INVALID_REQUEST), id="undecodable"),
        pytest.param("", API_KEY, (200, INVALID_REQUEST), id="empty"),
        pytest.param(b64(png_bytes()), None, (403, {"message": "Forbidden"}), id="no-key"),
        pytest.param(b64(png_bytes()), "AbcdEfgh", (403, {"message": "Forbidden"}), id="wrong-key"),
    ],
)
def test_commercial_curl_request_error_cases(
    live_server: LiveServer, img: str, key: str | None, expected: tuple[int, dict[str, str]]
) -> None:
    assert curl(live_server.endpoint, key=key, img=img) == expected


def test_curl_with_an_image_over_2_mib_is_image_invalid_size(live_server: LiveServer, tmp_path: Path) -> None:
    encoded = tmp_path / "big.b64"
    encoded.write_text(b64(OVERSIZED_JPEG), encoding="ascii")
    assert curl(live_server.endpoint, img_file=encoded) == (200, INVALID_SIZE)


def test_curl_without_img_is_invalid_request(live_server: LiveServer) -> None:
    assert curl(live_server.endpoint, extra=("--data-urlencode", "image=abc")) == (200, INVALID_REQUEST)


def test_curl_with_a_body_over_the_cap_is_refused_413(live_server: LiveServer, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"img=" + b"A" * MAX_REQUEST_BODY_BYTES)
    code, body = curl(live_server.endpoint, extra=("--data-binary", f"@{big}"))
    assert (code, body) == (413, INVALID_SIZE)


def post(server: LiveServer, **kwargs: Any) -> requests.Response:
    headers = {"X-API-Key": API_KEY, **kwargs.pop("headers", {})}
    return requests.post(server.endpoint, headers=headers, timeout=60, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"data": {"img": b64(b"%PDF-1.7")}}, (200, INVALID_FORMAT), id="form-pdf"),
        pytest.param({"json": {"img": b64(b"%PDF-1.7")}}, (200, INVALID_FORMAT), id="json-pdf"),
        pytest.param({"json": {"img": b64(OVERSIZED_JPEG)}}, (200, INVALID_SIZE), id="json-over-2MiB"),
        pytest.param({"data": {"img": "@@@@"}}, (200, INVALID_REQUEST), id="form-undecodable"),
        pytest.param(
            {"data": {"img": b64(b"x"), "junk": "1"}}, (200, INVALID_REQUEST), id="form-extra-field"
        ),
        pytest.param({"json": ["img"]}, (200, INVALID_REQUEST), id="json-not-an-object"),
        pytest.param(
            {"data": b"img=abc", "headers": {"Content-Type": "text/plain"}}, (200, INVALID_REQUEST), id="text"
        ),
        pytest.param({"files": {"img": b"x"}}, (200, INVALID_REQUEST), id="multipart"),
        pytest.param(
            {"data": {"img": "QUJD"}, "headers": {"X-API-Key": ""}},
            (403, {"message": "Forbidden"}),
            id="blank-key",
        ),
    ],
)
def test_requests_error_cases(
    live_server: LiveServer, kwargs: dict[str, Any], expected: tuple[int, dict[str, str]]
) -> None:
    response = post(live_server, **kwargs)
    assert response.headers["Content-Type"] == "application/json"
    assert (response.status_code, response.json()) == expected


def test_details_true_adds_details_to_a_real_answer(live_server: LiveServer) -> None:
    response = post(live_server, params={"details": "true"}, data={"img": b64(png_bytes())})
    body = response.json()
    assert response.status_code == 200
    assert {"status": body["status"], "message": body["message"]} == NOT_IDENTITY_CARD
    assert isinstance(body["details"], dict)
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/pk_ocr/general", (405, {"message": "Method Not Allowed"})),
        ("PUT", "/v1/pk_ocr/general", (405, {"message": "Method Not Allowed"})),
        ("POST", "/", (404, {"message": "Not Found"})),
        ("POST", "/v1/pk_ocr/general/extra", (404, {"message": "Not Found"})),
        ("GET", "/openapi.yaml", (404, {"message": "Not Found"})),
    ],
)
def test_other_methods_and_paths(
    live_server: LiveServer, method: str, path: str, expected: tuple[int, dict[str, str]]
) -> None:
    response = requests.request(method, live_server.url + path, headers={"X-API-Key": API_KEY}, timeout=10)
    assert (response.status_code, response.json()) == expected
    if response.status_code == 405:
        assert response.headers["Allow"] == "POST"


def raw_exchange(server: LiveServer, data: bytes) -> bytes:
    """Send raw bytes, read until the server closes (it must close: each case ends the connection)."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_response(raw: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def test_declared_body_over_the_cap_is_refused_before_it_is_sent(live_server: LiveServer) -> None:
    """Only the headers go out: the answer comes from Content-Length alone, the body is never read."""
    raw = raw_exchange(
        live_server,
        b"POST /v1/pk_ocr/general HTTP/1.1\r\nHost: test\r\nX-API-Key: " + API_KEY.encode() + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 900000000\r\n\r\n",
    )
    code, headers, body = split_response(raw)
    assert (code, body) == (413, INVALID_SIZE)
    assert headers["content-type"] == "application/json"


def test_malformed_http_gets_a_json_400(live_server: LiveServer) -> None:
    code, headers, body = split_response(raw_exchange(live_server, b"NOT HTTP AT ALL\r\n\r\n"))
    assert (code, body) == (400, {"message": "Bad Request"})
    assert headers["content-type"] == "application/json"


def test_concurrent_clients_are_all_answered(live_server: LiveServer) -> None:
    answers: list[tuple[int, Any]] = []
    images = [png_bytes(64 + i, 40) for i in range(6)] + [b"not an image"] * 2

    def one(image: bytes) -> None:
        response = post(live_server, data={"img": b64(image)})
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=one, args=(image,)) for image in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(images)
    assert sorted(str(a) for a in answers).count(str((200, INVALID_FORMAT))) == 2
    assert sorted(str(a) for a in answers).count(str((200, NOT_IDENTITY_CARD))) == 6


def test_sigterm_lets_the_request_in_flight_finish_then_exits_cleanly() -> None:
    server = start_server()
    try:
        image = _text_heavy_jpeg()
        answers: list[requests.Response] = []
        sender = threading.Thread(target=lambda: answers.append(post(server, data={"img": b64(image)})))
        sender.start()
        time.sleep(0.5)  # the request reaches a worker; the recognizer needs seconds for this image
        assert "request answered" not in [record["message"] for record in server.logs()]
        server.process.terminate()
        sender.join(timeout=60)
        assert server.process.wait(timeout=30) == 0
    finally:
        if server.process.poll() is None:
            stop_server(server)
    assert len(answers) == 1
    assert (answers[0].status_code, answers[0].json()) == (200, NOT_IDENTITY_CARD)
    messages = [record["message"] for record in server.logs()]
    assert messages.index("shutting down") < messages.index("request answered") < messages.index("stopped")
    address = urlsplit(server.url)
    with pytest.raises(OSError):
        socket.create_connection((address.hostname, address.port), timeout=2).close()


def _text_heavy_jpeg() -> bytes:
    """A page of printed lines: not a card, but the recognizer spends a while reading it."""
    image = Image.new("RGB", (1200, 760), (235, 240, 230))
    draw = ImageDraw.Draw(image)
    for row in range(8):
        draw.text(
            (40, 40 + row * 80), f"Name Father Name Country 12.03.199{row}", fill=(20, 20, 20), font_size=36
        )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
