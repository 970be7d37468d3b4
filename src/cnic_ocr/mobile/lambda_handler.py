"""The mobile uploads routes on AWS Lambda behind API Gateway (REST API, proxy integration).

A zip function without the recognizer: issuing slots and reading records needs no OCR model,
so it starts in well under a second and costs the memory of boto3 and pydantic only.

API Gateway has already refused a missing or wrong ``X-API-Key`` (``ApiKeyRequired``); the
key it accepted still arrives in the headers and names the owner of the upload.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from cnic_ocr.api.apigateway import UndecodableBodyError, proxy_response, request_from_event
from cnic_ocr.api.core import ApiRequest, KeyedApi, http_error_response, json_response, logger
from cnic_ocr.contract import OcrStatus, error_body
from cnic_ocr.mobile.aws import build_uploads_api

_PATH_PARAMETER = re.compile(r"\{([^}+]+)\}")


@functools.cache
def get_api() -> KeyedApi:
    """Clients and the signing secret, at the first invocation of each execution environment.

    The key was checked by API Gateway (``ApiKeyRequired``): ``api_keys=None``.
    """
    return KeyedApi([build_uploads_api()], api_keys=None)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@event_source(data_class=APIGatewayProxyEvent)
def lambda_handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    request_id = event.request_context.request_id
    try:
        request = uploads_request_from_event(event)
    except UndecodableBodyError:
        logger.warning("undecodable base64 event body")
        return proxy_response(http_error_response(400, request_id))
    try:
        api = get_api()
    except Exception:  # missing secret, bad settings: logged once per attempt, never shown
        logger.critical("uploads API cannot start: configuration error", exc_info=True)
        return proxy_response(json_response(500, error_body(OcrStatus.INNER_ERROR), request_id))
    return proxy_response(api.handle(request))


def uploads_request_from_event(event: APIGatewayProxyEvent) -> ApiRequest:
    """The request with its path rebuilt from the matched resource and the path parameters.

    ``event.path`` carries a custom domain's base path; the resource (``/v1/uploads/{uploadId}``)
    does not, so the path is the resource with its parameters filled in.
    """
    request = request_from_event(event)
    resource = str(event.get("resource") or "")
    parameters = event.path_parameters or {}
    if "{" not in resource or "+}" in resource:
        return request
    try:
        path = _PATH_PARAMETER.sub(lambda match: parameters[match[1]], resource)
    except KeyError:
        return request
    return dataclasses.replace(request, path=path)
