"""What the pipeline knows about an upload before it records it (the record: ``cnic_ocr.records``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cnic_ocr.records.model import normalize_sequencer


def normalize_etag(etag: str | None) -> str | None:
    """S3 quotes ETags in API answers but not in events."""
    return etag.strip('"') if etag else None


class UploadRef(BaseModel):
    """One S3 object-created notification, key already URL-decoded."""

    model_config = ConfigDict(frozen=True)

    bucket: str = Field(min_length=1)
    key: str = Field(min_length=1)
    version_id: str | None = None
    etag: str | None = None
    size: int | None = Field(default=None, ge=0)
    sequencer: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{0,64}$")
    request_id: str | None = None
    event_time: datetime | None = None

    @property
    def record_id(self) -> str:
        """One record per object: the bucket and key identify it across versions."""
        return f"{self.bucket}/{self.key}"

    @property
    def order(self) -> str:
        return normalize_sequencer(self.sequencer)


class ObjectInfo(BaseModel):
    """What a HEAD of the object says, before its bytes are read."""

    model_config = ConfigDict(frozen=True)

    size: int = Field(ge=0)
    etag: str | None = None
    version_id: str | None = None
    content_type: str | None = None
