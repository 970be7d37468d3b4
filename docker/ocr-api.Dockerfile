# The OCR API as a Lambda container image (template.yaml: OcrApiFunction, PackageType Image,
# DockerContext ".", Dockerfile docker/ocr-api.Dockerfile). onnxruntime, OpenCV and the models
# do not fit the 250 MB limit of a zip package; an image may be up to 10 GB.
#
#   docker build -f docker/ocr-api.Dockerfile -t cnic-ocr-api .
#   docker run -p 9000:8080 cnic-ocr-api    # then POST events/api-ok.json to
#   curl -d @events/api-ok.json http://localhost:9000/2015-03-31/functions/function/invocations
FROM public.ecr.aws/lambda/python:3.12

# The package with its pinned runtime dependencies (pyproject.toml). The PP-OCR ONNX models
# ship inside the rapidocr wheel, so they are part of the image; nothing is fetched at run time.
COPY pyproject.toml README.md /tmp/build/
COPY src /tmp/build/src
RUN pip install --no-cache-dir /tmp/build \
    && rm -rf /tmp/build

# Load the models once at build time: a broken image fails here, not on its first request.
RUN python -c "from cnic_ocr.recognizer import get_recognizer; get_recognizer()"

ENV POWERTOOLS_LOG_LEVEL=INFO

# The handler creates the recognizer (loads the models) at init, once per execution environment.
CMD ["cnic_ocr.api.lambda_handler.lambda_handler"]
