"""The recognizer's configuration, read once per process from environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DetectionRuntime = Literal["openvino", "onnxruntime"]


class RecognizerSettings(BaseSettings):
    """``CNIC_OCR_DETECTION_RUNTIME``: what runs the text detection model.

    ``openvino`` (default) detects 2-3x faster; ``onnxruntime`` holds about 500 MB less memory
    in a long-running process (docs/recognizer.md has the figures). Both give the same answers
    on the cards measured.
    """

    model_config = SettingsConfigDict(env_prefix="CNIC_OCR_", extra="ignore", frozen=True)

    detection_runtime: DetectionRuntime = Field(
        default="openvino", description="Runtime of the text detection model: speed or memory"
    )
