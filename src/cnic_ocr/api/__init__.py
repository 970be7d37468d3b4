"""The OCR HTTP API (the commercial "Pakistan ID Card OCR" contract): one core, two adapters.

``core`` answers requests; ``wsgi``/``server`` serve it locally on waitress; ``apigateway``/
``lambda_handler`` serve it on AWS Lambda behind API Gateway; ``openapi.yaml`` documents it.
The mobile uploads routes (``cnic_ocr.mobile``; docs/mobile.md) can be served behind the same
keys (``OcrApi(..., more_routes=...)``).
"""
