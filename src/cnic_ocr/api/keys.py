"""The local server's accepted API keys, from ``CNIC_OCR_API_KEYS`` or a key file.

``cnic-ocr serve`` calls :func:`load_api_keys` once at start and refuses to start without a
key: an OCR server of identity cards open to anyone on the network is never the intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

API_KEYS_ENV = "CNIC_OCR_API_KEYS"


class ApiKeyConfigError(ValueError):
    """No usable API key is configured; the message says how to configure one."""


class ApiKeySettings(BaseSettings):
    """``CNIC_OCR_API_KEYS=key1,key2`` (comma-separated; blanks around keys ignored)."""

    model_config = SettingsConfigDict(env_prefix="CNIC_OCR_", extra="ignore")

    api_keys: Annotated[list[str], NoDecode] = []

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value


def load_api_keys(key_file: Path | None = None) -> list[str]:
    """The accepted keys: one per line of ``key_file`` (``#`` comments allowed) if given, else
    ``CNIC_OCR_API_KEYS``. Raises :class:`ApiKeyConfigError` if there is none or one is unusable.
    """
    if key_file is not None:
        try:
            lines = key_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ApiKeyConfigError(f"cannot read the API key file {key_file}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ApiKeyConfigError(f"the API key file {key_file} is not UTF-8 text") from exc
        candidates = [line for line in lines if not line.lstrip().startswith("#")]
        source = f"the API key file {key_file}"
    else:
        candidates = ApiKeySettings().api_keys
        source = f"the environment variable {API_KEYS_ENV}"
    keys: list[str] = []
    for number, raw in enumerate(candidates, start=1):
        key = raw.strip()
        if not key:
            continue
        if not (key.isascii() and key.isprintable()) or any(char.isspace() for char in key):
            raise ApiKeyConfigError(
                f"API key #{number} in {source} has characters an HTTP header cannot carry "
                "(use printable ASCII without spaces)"
            )
        if key not in keys:
            keys.append(key)
    if not keys:
        raise ApiKeyConfigError(
            f"no API key configured in {source}: set {API_KEYS_ENV}=key1,key2 "
            "or pass --api-key-file FILE (one key per line); clients send it as the X-API-Key header"
        )
    return keys
