"""The local OCR API server: waitress (threaded, production-grade) over the WSGI adapter.

``cnic-ocr serve`` calls :func:`serve`. The model is loaded before the socket accepts
anything; SIGTERM and SIGINT stop accepting, drop queued requests, let the ones being
processed finish (up to ``SHUTDOWN_GRACE_SECONDS``) and return.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, cast

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from cnic_ocr.api.core import (
    MAX_REQUEST_BODY_BYTES,
    OcrApi,
    Recognizer,
    Routes,
    http_error_response,
    logger,
)
from cnic_ocr.api.wsgi import OcrWsgiApp

#: How long a stopping server lets the requests in flight finish (container runtimes usually
#: wait 10-30 s between SIGTERM and SIGKILL).
SHUTDOWN_GRACE_SECONDS = 25

#: Worker threads: they parse requests, answer refusals and write answers while recognitions run.
DEFAULT_THREADS = 4
#: Recognitions at once. One recognition already keeps every core busy (onnxruntime).
DEFAULT_RECOGNITION_SLOTS = 1


def serve(
    host: str,
    port: int,
    api_keys: Sequence[str],
    *,
    threads: int = DEFAULT_THREADS,
    recognition_slots: int = DEFAULT_RECOGNITION_SLOTS,
    recognizer: Recognizer | None = None,
    more_routes: Routes | None = None,
) -> None:
    """Serve ``POST /v1/pk_ocr/general`` on ``host:port`` until SIGTERM/SIGINT.

    ``api_keys`` are the accepted ``X-API-Key`` values (at least one). ``port=0`` picks a free
    port; the address is logged (``"message": "serving"``, ``"url"``). ``recognizer`` defaults
    to the process-wide real one, created (model loaded) before the first connection.
    ``more_routes`` adds routes behind the same keys, e.g. the mobile uploads
    (``cnic_ocr.mobile.aws.build_uploads_api()``).
    """
    if recognizer is None:
        from cnic_ocr.recognizer import get_recognizer  # imported here: it loads onnxruntime and OpenCV

        recognizer = get_recognizer()
    api = OcrApi(recognizer, api_keys=api_keys, recognition_slots=recognition_slots, more_routes=more_routes)
    socket_map: dict[int, Any] = {}
    server = create_server(
        OcrWsgiApp(api),
        map=socket_map,
        host=host,
        port=port,
        threads=threads,
        # waitress refuses a body at or above this size from its Content-Length (or, when
        # chunked, as soon as it has received that much) without reading the rest.
        max_request_body_size=MAX_REQUEST_BODY_BYTES + 1,
        ident="cnic-ocr",
        expose_tracebacks=False,
    )
    listeners = list(_wsgi_servers(socket_map))
    for listener in listeners:
        listener.channel_class = _JsonErrorChannel
    urls = [_url(listener) for listener in listeners]
    restore = _stop_on_signals()
    try:
        logger.info(
            "serving", extra={"url": urls[0], "urls": urls, "threads": threads, "api_keys": len(api_keys)}
        )
        server.run()  # returns after SIGTERM/SIGINT; waitress drops queued requests, waits 5 s
    finally:
        restore()
        # waitress waits only 5 s for the requests being processed; give them the full grace
        # period (a worker still inside onnxruntime when the interpreter exits aborts it).
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=SHUTDOWN_GRACE_SECONDS)
        for dispatcher in list(socket_map.values()):
            dispatcher.close()
        logger.info("stopped")


class _JsonErrorTask(ErrorTask):
    """waitress's own refusals (413 over the cap, 400 malformed HTTP, ...) in the API's JSON."""

    def execute(self) -> None:
        error = cast(HTTPRequestParser, self.request).error
        code = error.code if error is not None else 500
        request_id = uuid.uuid4().hex
        response = http_error_response(code, request_id)
        logger.info(
            "request refused by the HTTP server", extra={"request_id": request_id, "http_status": code}
        )
        self.status = f"{code} {error.reason if error is not None else 'Internal Server Error'}"
        self.response_headers = list(response.headers.items())
        self.set_close_on_finish()
        self.content_length = len(response.body)
        self.write(response.body)


class _JsonErrorChannel(HTTPChannel):
    error_task_class = _JsonErrorTask


def _wsgi_servers(socket_map: dict[int, Any]) -> Iterator[BaseWSGIServer]:
    """The listening sockets (one per address ``host`` resolves to)."""
    for dispatcher in socket_map.values():
        if isinstance(dispatcher, BaseWSGIServer):
            yield dispatcher


def _url(listener: BaseWSGIServer) -> str:
    assert listener.socket is not None, "a listening server has a socket"
    host, port = listener.socket.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stop_on_signals() -> Callable[[], None]:
    """Make SIGTERM and SIGINT end waitress's loop (it drains on SystemExit); returns the undo.

    Signal handlers can only be set from the main thread; elsewhere (an embedding program)
    stopping the server is the caller's business.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("shutting down", extra={"signal": signal.Signals(signum).name})
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
