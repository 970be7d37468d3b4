"""API Gateway REST (v1 proxy integration) adapter: event in, proxy response out."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from cnic_ocr.api.core import ApiRequest, ApiResponse


class UndecodableBodyError(ValueError):
    """``isBase64Encoded`` is true but the body is not base64 (API Gateway never sends that)."""


def request_from_event(event: APIGatewayProxyEvent) -> ApiRequest:
    """The request API Gateway forwarded; the body as the client's bytes (base64-decoded if binary)."""
    body_text = event.body or ""
    if event.is_base64_encoded:
        try:
            body = base64.b64decode(body_text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UndecodableBodyError("isBase64Encoded body is not base64") from exc
    else:
        # API Gateway hands a text body over as a str; its bytes on the wire were UTF-8.
        body = body_text.encode("utf-8")
    headers: dict[str, str] = dict(event.headers or {})
    query = event.multi_value_query_string_parameters or {
        name: [value] for name, value in event.query_string_parameters.items()
    }
    return ApiRequest(
        method=event.http_method,
        path=_route_path(event),
        headers=headers,
        query=query,
        body=body,
        request_id=event.request_context.request_id,
    )


def _route_path(event: APIGatewayProxyEvent) -> str:
    """The path as the API defines it: the matched resource, unless that is a ``{proxy+}`` catch-all.

    ``event.path`` can carry a custom domain's base-path mapping (``/ocr/v1/pk_ocr/general``);
    the matched resource never does.
    """
    resource = event.get("resource") or ""
    return event.path if not resource or "{" in resource else str(resource)


def proxy_response(response: ApiResponse) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": response.headers,
        "body": response.body.decode("utf-8"),
        "isBase64Encoded": False,
    }
