"""The OCR API key from Secrets Manager through Powertools Parameters (the ApiKeySource port).

Cached for ``max_age`` seconds per process; ``get(refresh=True)`` bypasses the cache after
the API refused the key, which is how a rotated key is picked up without a redeploy.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from cnic_ocr.errors import ConfigurationError


class SecretsManagerApiKeySource:
    def __init__(self, provider: SecretsProvider, secret_name: str, *, max_age_seconds: int) -> None:
        self._provider = provider
        self._secret_name = secret_name
        self._max_age = max_age_seconds

    def get(self, *, refresh: bool = False) -> str:
        try:
            value = self._provider.get(self._secret_name, max_age=self._max_age, force_fetch=refresh)
        except GetParameterError as exc:
            raise ConfigurationError(f"API key secret {self._secret_name!r} cannot be read: {exc}") from exc
        key = (value.decode() if isinstance(value, bytes) else str(value or "")).strip()
        if not key:
            raise ConfigurationError(f"API key secret {self._secret_name!r} is empty")
        return key
