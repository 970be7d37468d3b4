"""The contract's HTTP request with ``requests`` (the OcrTransport port).

Exactly the commercial call: ``POST <url>/v1/pk_ocr/general``, form-urlencoded ``img=<base64>``,
header ``X-API-Key``. Retrying is the domain's job (``domain.ocr``); this only maps the
network's failures to TransportError.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import NewConnectionError

from cnic_ocr.pipeline.domain.ports import HttpAnswer, TransportError


class RequestsOcrTransport:
    def __init__(
        self, endpoint: str, *, connect_timeout_seconds: float, session: requests.Session | None = None
    ) -> None:
        self._endpoint = endpoint
        self.connect_timeout_seconds = connect_timeout_seconds
        self._session = session or requests.Session()

    def post_image(self, image_b64: str, api_key: str, *, read_timeout_seconds: float) -> HttpAnswer:
        try:
            response = self._session.post(
                self._endpoint,
                data={"img": image_b64},
                headers={"X-API-Key": api_key, "Accept": "application/json"},
                timeout=(self.connect_timeout_seconds, read_timeout_seconds),
                allow_redirects=False,
            )
        except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError) as exc:
            problem = f"connection failed ({type(exc).__name__})"
            raise TransportError(problem, reached_provider=False) from exc
        except requests.Timeout as exc:  # ReadTimeout: the request was sent; the work may be done
            raise TransportError(f"timeout ({type(exc).__name__})", reached_provider=True) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransportError(
                f"connection failed ({type(exc).__name__})", reached_provider=not _never_connected(exc)
            ) from exc
        return HttpAnswer(response.status_code, response.content)


def _never_connected(exc: requests.RequestException) -> bool:
    """Connection refused or the name not resolved: nothing was sent (urllib3's reason says so)."""
    return bool(exc.args) and isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
