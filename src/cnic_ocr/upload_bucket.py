"""The upload bucket as both functions see it: the pipeline reads what the mobile slots write.

The mobile API's slots put objects under the prefix the pipeline watches, and never allow an
object larger than the pipeline reads; both settings models take their defaults from here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

#: The only key prefix that triggers processing (template parameter ``UploadPrefix``).
DEFAULT_UPLOAD_PREFIX = "uploads/"

#: Largest object the pipeline reads (``MAX_OBJECT_BYTES``); larger ones are rejected unread.
MAX_OBJECT_BYTES = 25 * 1024 * 1024


def relative_prefix(value: str) -> str:
    """``value``, checked to be relative as S3 keys are (raises ValueError otherwise)."""
    if value.startswith("/"):
        raise ValueError("the upload prefix is an S3 key prefix and never starts with '/'")
    return value


#: An S3 key prefix in a settings model.
S3KeyPrefix = Annotated[str, AfterValidator(relative_prefix)]
