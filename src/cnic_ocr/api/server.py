"""The local OCR API server: waitress (threaded, production-grade) over the WSGI adapter.

``cnic-ocr serve`` calls :func:`serve`. The model is loaded before the socket accepts
anything; SIGTERM and SIGINT stop accepting, drop queued requests, let the ones being
processed finish (up to ``SHUTDOWN_GRACE_SECONDS``) and return.

waitress alone lets slow clients hold its connections (100, each until 120 s of silence), so
the channel and listener here add what it lacks (:class:`ClientLimits`): the key is checked
as soon as the headers are in, headers must arrive within a deadline, a body must keep a
minimum rate, and when every connection is taken the ones that have waited longest for their
own request to arrive make room for new ones.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any, cast

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, TcpWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import Error, RequestEntityTooLarge

from cnic_ocr.api.core import (
    API_KEY_HEADER,
    MAX_REQUEST_BODY_BYTES,
    OcrApi,
    Recognizer,
    Routes,
    encode_keys,
    http_error_response,
    key_accepted,
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


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """What a connection may cost the server before it is closed (docs/api.md, "Slow clients")."""

    #: Open connections at most (waitress's ``connection_limit``). When all are taken, the
    #: connections that have waited longest for their own request to arrive are closed first.
    connection_limit: int = 100
    #: A connection must send its request's headers within this many seconds of its first
    #: byte, and be silent between requests for no longer than this (``channel_timeout``).
    header_timeout_seconds: float = 10.0
    #: After the headers, the body must arrive at this average rate or better...
    min_body_bytes_per_second: int = 16 * 1024
    #: ... measured once it has had this long (a 4 MiB body at the minimum rate takes 256 s).
    body_grace_seconds: float = 5.0


def serve(
    host: str,
    port: int,
    api_keys: Sequence[str],
    *,
    threads: int = DEFAULT_THREADS,
    recognition_slots: int = DEFAULT_RECOGNITION_SLOTS,
    recognizer: Recognizer | None = None,
    more_routes: Routes | None = None,
    limits: ClientLimits | None = None,
) -> None:
    """Serve ``POST /v1/pk_ocr/general`` on ``host:port`` until SIGTERM/SIGINT.

    ``api_keys`` are the accepted ``X-API-Key`` values (at least one). ``port=0`` picks a free
    port; the address is logged (``"message": "serving"``, ``"url"``). ``recognizer`` defaults
    to the process-wide real one, created (model loaded) before the first connection.
    ``more_routes`` adds routes behind the same keys, e.g. the mobile uploads
    (``cnic_ocr.mobile.aws.build_uploads_api()``). ``limits`` bound slow clients.
    """
    if recognizer is None:
        from cnic_ocr.recognizer import get_recognizer  # imported here: it loads onnxruntime and OpenCV

        recognizer = get_recognizer()
    limits = limits or ClientLimits()
    api = OcrApi(recognizer, api_keys=api_keys, recognition_slots=recognition_slots, more_routes=more_routes)
    # waitress's own lines ("Task queue depth is N", ...) in the same JSON as ours.
    copy_config_to_registered_loggers(source_logger=logger, include={"waitress"})
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
        connection_limit=limits.connection_limit,
        channel_timeout=max(1, round(limits.header_timeout_seconds)),
        cleanup_interval=1,  # how often the limits are checked
        asyncore_use_poll=True,  # select() stops at file descriptor 1024
        ident="cnic-ocr",
        expose_tracebacks=False,
    )
    listeners = list(_wsgi_servers(socket_map))
    channel_class = _guarded_channel_class(encode_keys(api_keys))
    for listener in listeners:
        listener.channel_class = channel_class
        if type(listener) is TcpWSGIServer:
            listener.__class__ = _GuardedListener  # the same server, with the limits below
            cast(_GuardedListener, listener).limits = limits
            cast(_GuardedListener, listener).sockets = socket_map
    urls = [_url(listener) for listener in listeners]
    restore = _stop_on_signals()
    try:
        logger.info(
            "serving",
            extra={
                "url": urls[0],
                "urls": urls,
                "threads": threads,
                "api_keys": len(api_keys),
                "limits": asdict(limits),
            },
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


class _ForbiddenError(Error):
    code = 403
    reason = "Forbidden"


class _KeyCheckingParser(HTTPRequestParser):
    """Refuses a request without a valid ``X-API-Key`` as soon as its headers are in.

    The answer (403) then goes out without the body being read, before the size cap (413)
    is considered: an unauthenticated client costs no more than its headers.
    """

    accepted_keys: tuple[bytes, ...] | None = None
    _key_checked = False

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if self.headers_finished and not self._key_checked and not self.empty:
            self._key_checked = True
            refusable = self.error is None or isinstance(self.error, RequestEntityTooLarge)
            presented = self.headers.get(API_KEY_HEADER.upper().replace("-", "_"))  # as waitress keys them
            if refusable and not key_accepted(self.accepted_keys, presented):
                self.error = _ForbiddenError("X-API-Key missing or not accepted")
                self.completed = True
            if self.error is not None:  # refused from the headers: no "100 Continue" invites the body
                self.expect_continue = False
        return consumed


class _GuardedChannel(HTTPChannel):
    """A connection that remembers when its current request started, for the listener's limits."""

    error_task_class = _JsonErrorTask
    request_started = 0.0  # time.monotonic() of the current request's first byte
    body_started: float | None = None  # ... and of the end of its headers

    def received(self, data: bytes) -> bool:
        now = time.monotonic()
        if self.request is None:
            self.request_started, self.body_started = now, None
        result: bool = super().received(data)
        if self.request is not None and self.request.headers_finished and self.body_started is None:
            self.body_started = now
        return result

    def waiting_since(self) -> float | None:
        """Since when this connection has held a slot without a request to work on; None: busy."""
        if self.requests or self.will_close or self.close_when_flushed or self.total_outbufs_len:
            return None
        if self.request is None:  # idle between requests, or nothing sent yet
            return time.monotonic() - (time.time() - self.last_activity)
        return self.request_started

    def too_slow(self, limits: ClientLimits, now: float) -> str | None:
        """Why this connection breaks the limits (``"headers"``, ``"body"``), or None."""
        request = self.request
        if request is None or self.requests or self.will_close:
            return None  # idle ones are waitress's (channel_timeout)
        if not request.headers_finished:
            return "headers" if now - self.request_started > limits.header_timeout_seconds else None
        if self.body_started is None or request.completed:
            return None
        elapsed = now - self.body_started
        rate = request.body_bytes_received / elapsed if elapsed > 0 else float("inf")
        if elapsed > limits.body_grace_seconds and rate < limits.min_body_bytes_per_second:
            return "body"
        return None


def _guarded_channel_class(keys: tuple[bytes, ...] | None) -> type[_GuardedChannel]:
    """The channel class of one server: its parser knows that server's keys."""

    class Parser(_KeyCheckingParser):
        accepted_keys = keys

    class Channel(_GuardedChannel):
        parser_class = Parser

    return Channel


class _GuardedListener(TcpWSGIServer):
    """waitress's TCP listener, plus the slow-client limits of :class:`ClientLimits`."""

    limits = ClientLimits()

    evicted = 0  # connections closed by _make_room since the last maintenance
    #: Every socket of the server (waitress's map: listeners, connections, its trigger).
    sockets: dict[int, Any] = {}  # noqa: RUF012 - set per instance by serve()

    def channels(self) -> list[_GuardedChannel]:
        """This listener's open connections."""
        active = cast(dict[int, HTTPChannel], self.active_channels)
        return [channel for channel in active.values() if isinstance(channel, _GuardedChannel)]

    def maintenance(self, now: int) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        closed: Counter[str] = Counter()
        clock = time.monotonic()
        for channel in self.channels():
            reason = channel.too_slow(self.limits, clock)
            if reason is not None:
                channel.will_close = True
                closed[reason] += 1
        if self.evicted:
            closed["connection limit"], self.evicted = self.evicted, 0
        if closed:  # one line a second at most, however hard the server is pushed
            logger.warning(
                "slow clients disconnected", extra={"closed": dict(closed), "connections": len(self.sockets)}
            )

    def readable(self) -> bool:
        """waitress's own, except that a full server makes room instead of refusing to accept."""
        now = int(time.time())
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        if len(self.sockets) >= self.adj.connection_limit:
            self._make_room()
            return False  # accepts again once the closed connections are gone
        return True

    def _make_room(self) -> None:
        """Closes the connections that have waited longest for their own request (a tenth of them).

        A client that sends its request promptly is past this stage at once (its request is
        being served); one that trickles it holds a slot that the next client needs more.
        """
        channels = self.channels()
        closing = sum(1 for c in channels if c.will_close)
        headroom = max(1, self.adj.connection_limit // 10)
        wanted = len(self.sockets) - self.adj.connection_limit + headroom - closing
        waiting = sorted(
            ((since, id(c), c) for c in channels if (since := c.waiting_since()) is not None),
            key=lambda item: item[:2],
        )
        for _, _, channel in waiting[: max(0, wanted)]:
            channel.will_close = True
            self.evicted += 1


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
