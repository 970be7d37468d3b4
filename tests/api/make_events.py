"""Write the API Gateway (REST, proxy integration) sample events ``events/api-*.json``.

Run ``.venv/bin/python tests/api/make_events.py`` after a change to the synthetic cards; the
events are checked in so that ``sam local invoke OcrApiFunction -e events/api-ok.json`` works
without generating anything. ``test_lambda.py`` checks they are still in sync.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from PIL import Image

from cnic_ocr.synth import generate

EVENTS = Path(__file__).resolve().parents[2] / "events"
#: The card in api-ok*.json: a synthetic card scan (the most reliably read condition), saved
#: as a JPEG (q75, about 85 kB) like the photos clients send (a scan may come out as a 1 MB PNG).
OK_SEED, OK_CONDITION = 0, "clean"
FORM = "application/x-www-form-urlencoded"


def not_a_card_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 60), (200, 180, 160)).save(out, format="PNG")
    return out.getvalue()


def ok_card_image() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(generate(OK_SEED, OK_CONDITION).image)).convert("RGB").save(out, "JPEG", quality=75)
    return out.getvalue()


def proxy_event(
    name: str,
    *,
    method: str = "POST",
    path: str = "/v1/pk_ocr/general",
    resource: str = "/v1/pk_ocr/general",
    content_type: str | None = FORM,
    body: str | None = None,
    base64_body: bool = False,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it once the API key has been accepted."""
    headers = {
        "Accept": "*/*",
        "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/7.88.1",
        "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
        "X-API-Key": "sample-api-key-000000000000",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    request_id = f"c6af9ac6-7b61-11e6-9a41-{name.encode().hex()[:12].ljust(12, '0')}"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")} if "{proxy+}" in resource else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/Prod{path}",
            "protocol": "HTTP/1.1",
            "stage": "Prod",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "requestId": request_id,
            "extendedRequestId": "ABCdEFghIJkLmNo=",
            "requestTime": "26/Nov/2026:07:00:00 +0000",
            "requestTimeEpoch": 1795676400000,
            "identity": {
                "apiKey": "sample-api-key-000000000000",
                "apiKeyId": "a1b2c3d4e5",
                "sourceIp": "203.0.113.10",
                "userAgent": "curl/7.88.1",
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "user": None,
                "userArn": None,
            },
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def events() -> dict[str, dict[str, Any]]:
    card = base64.b64encode(ok_card_image()).decode("ascii")
    blank = base64.b64encode(not_a_card_png()).decode("ascii")
    ok_form = urlencode({"img": card})
    return {
        "api-ok": proxy_event("ok", body=ok_form),
        # With binaryMediaTypes covering the form type, API Gateway base64-encodes the body.
        "api-ok-binary-body": proxy_event(
            "okbinary", body=base64.b64encode(ok_form.encode()).decode("ascii"), base64_body=True
        ),
        "api-json-details": proxy_event(
            "json",
            content_type="application/json",
            body=json.dumps({"img": blank}),
            query={"details": "true"},
        ),
        "api-invalid-request": proxy_event("invalid", body=urlencode({"image": blank})),
        "api-invalid-format": proxy_event(
            "format", body=urlencode({"img": base64.b64encode(b"%PDF-1.7 not an image").decode()})
        ),
        "api-not-found": proxy_event("notfound", path="/v1/pk_ocr/idcard", resource="/{proxy+}", body=None),
        "api-method-not-allowed": proxy_event("method", method="GET", content_type=None, body=None),
    }


def main() -> None:
    for name, event in events().items():
        (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
        print(f"wrote events/{name}.json")


if __name__ == "__main__":
    main()
