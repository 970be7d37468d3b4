"""WSGI adapter: environ in, :class:`~cnic_ocr.api.core.OcrApi` answer out.

The HTTP server in front (waitress, see ``server.py``) has already refused bodies above the
cap, so reading ``wsgi.input`` here is bounded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from http import HTTPStatus
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from cnic_ocr.api.core import ApiRequest, OcrApi


class OcrWsgiApp:
    def __init__(self, api: OcrApi) -> None:
        self._api = api

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self._api.handle(request_from_environ(environ, request_id=uuid.uuid4().hex))
        headers = [*response.headers.items(), ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status_code} {HTTPStatus(response.status_code).phrase}", headers)
        return [response.body]


def request_from_environ(environ: WSGIEnvironment, *, request_id: str) -> ApiRequest:
    headers = {
        name[len("HTTP_") :].replace("_", "-"): str(value)
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return ApiRequest(
        method=str(environ["REQUEST_METHOD"]),
        path=str(environ.get("PATH_INFO", "")),
        headers=headers,
        query=parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
        body=body,
        request_id=request_id,
    )
