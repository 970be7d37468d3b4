"""Local mode: the upload pipeline on loopback stand-ins of AWS (moto) and the project's OCR server.

``cnic-local run`` (``make run``) reads ``template.yaml``, creates its resources in moto's server,
uploads images and lets the Lambda handler process them exactly as S3 would deliver them.
See ``docs/local.md``.
"""
