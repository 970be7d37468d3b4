"""Import contracts: what each part of the package may load, checked by importing it in a fresh
interpreter with the forbidden packages blocked (an import of one of them raises ImportError).

- A zip function (``CodeUri: src/`` in ``template.yaml``) ships without the recognizer's
  dependencies: importing its handler must not need the recognizer, onnxruntime, OpenVINO, OpenCV,
  RapidOCR or NumPy, or it breaks on Lambda.
- The framework-free cores (the pipeline's domain and flow, the records model, the mobile and
  OCR API cores and the shared modules) must not need the AWS SDK: adapters bring it in.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cnic_ocr.pipeline.domain
from cnic_ocr.local.template import load_template

REPO = Path(__file__).resolve().parents[1]

#: What a zip function cannot ship (the OCR API's container image has them).
RECOGNIZER_PACKAGES = (
    "cnic_ocr.recognizer", "cnic_ocr.synth", "onnxruntime", "openvino", "cv2", "rapidocr", "numpy",
)  # fmt: skip
AWS_SDK = ("boto3", "botocore")

CORE_MODULES = (
    *(
        f"cnic_ocr.pipeline.domain.{module.name}"
        for module in pkgutil.iter_modules(cnic_ocr.pipeline.domain.__path__)
    ),
    "cnic_ocr.pipeline.flow",
    "cnic_ocr.records.model",
    "cnic_ocr.mobile.core",
    "cnic_ocr.api.core",
    "cnic_ocr.contract",
    "cnic_ocr.image_format",
    "cnic_ocr.masking",
    "cnic_ocr.clock",
    "cnic_ocr.upload_bucket",
    "cnic_ocr.errors",
)

_IMPORT_WITH_BLOCKED = """
import importlib, sys
blocked, modules = sys.argv[1].split(","), sys.argv[2].split(",")

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ImportError(f"{name} is blocked by the import contract")

sys.meta_path.insert(0, Blocker())
for module in modules:
    importlib.import_module(module)
"""


def import_with_blocked(modules: list[str] | tuple[str, ...], blocked: tuple[str, ...]) -> str | None:
    """None if every module imports with ``blocked`` unavailable, else the error's last lines."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITH_BLOCKED, ",".join(blocked), ",".join(modules)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1", "PATH": ""},
    )
    return None if result.returncode == 0 else result.stderr[-2000:]


def zip_function_handlers() -> list[str]:
    """The handler module of every function of the template deployed from ``src/`` as a zip."""
    resources = load_template(REPO / "template.yaml")["Resources"]
    functions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    return sorted(
        f["Handler"].rsplit(".", 1)[0]
        for f in functions
        if f.get("PackageType", "Zip") == "Zip" and str(f.get("CodeUri", "")).rstrip("/") == "src"
    )


def test_the_template_has_the_two_zip_functions() -> None:
    assert zip_function_handlers() == ["cnic_ocr.mobile.lambda_handler", "cnic_ocr.pipeline.handler"]


@pytest.mark.parametrize("handler", zip_function_handlers())
def test_a_zip_function_loads_nothing_of_the_recognizer(handler: str) -> None:
    assert import_with_blocked([handler], RECOGNIZER_PACKAGES) is None


def test_the_cores_do_not_need_the_aws_sdk() -> None:
    assert import_with_blocked(CORE_MODULES, AWS_SDK) is None


def test_a_broken_contract_is_caught() -> None:
    """The blocker really blocks: the recognizer needs NumPy, an adapter needs botocore."""
    assert "numpy is blocked" in (import_with_blocked(["cnic_ocr.recognizer.imageio"], ("numpy",)) or "")
    assert "boto3 is blocked" in (import_with_blocked(["cnic_ocr.records.dynamodb"], AWS_SDK) or "")
