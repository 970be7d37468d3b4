"""The OCR API on AWS Lambda behind API Gateway (REST API, proxy integration).

The recognizer (and its model) is created at init, once per execution environment.

The API key is NOT checked here: the only route to this function is the REST API, whose
methods have ``ApiKeyRequired: true``, so API Gateway has already answered a missing or wrong
``X-API-Key`` with 403 ``{"message": "Forbidden"}`` (the same body the local server sends)
and counted the call against the key's usage plan. Keeping a second copy of the keys in the
function would only add one more place to rotate them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from cnic_ocr.api.apigateway import UndecodableBodyError, proxy_response, request_from_event
from cnic_ocr.api.core import OcrApi, http_error_response, logger
from cnic_ocr.recognizer import get_recognizer

api = OcrApi(get_recognizer(), api_keys=None)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@event_source(data_class=APIGatewayProxyEvent)
def lambda_handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    try:
        request = request_from_event(event)
    except UndecodableBodyError:
        logger.warning("undecodable base64 event body")
        return proxy_response(http_error_response(400, event.request_context.request_id))
    return proxy_response(api.handle(request))
