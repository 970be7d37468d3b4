"""The mobile backend: upload slots (S3 presigned POST) and result look-up per API key.

``core`` answers the two routes (framework-free, ports for S3, the records and time); ``aws``
holds the boto3 adapters, the settings and ``build_uploads_api()``; ``lambda_handler`` serves
them on Lambda behind API Gateway; ``openapi.yaml`` documents them (docs/mobile.md). Locally
the OCR API's server serves them behind its own key check (``cnic-ocr serve --uploads``).
"""
