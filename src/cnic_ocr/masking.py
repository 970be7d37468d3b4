"""Masks for personal data that must never appear in full in logs, reports or (by default) events."""

from __future__ import annotations

import re

_ID_NUMBER = re.compile(r"\b(\d{5})-(\d{7})-(\d)\b")
_BARE_ID_NUMBER = re.compile(r"\b(\d{5})(\d{7})(\d)\b")


def mask_id_number(id_number: str | None) -> str | None:
    """``33100-7411692-4`` → ``33100-*******-4``: the district code and check digit stay visible."""
    if id_number is None:
        return None
    match = _ID_NUMBER.fullmatch(id_number) or _BARE_ID_NUMBER.fullmatch(id_number)
    if match is None:
        return "*" * len(id_number)
    return f"{match[1]}-*******-{match[3]}"


def mask_id_numbers_in(text: str) -> str:
    """Masks every identity number inside free text (log messages, error reasons, keys)."""
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}-*******-{m[3]}", text)
    return _BARE_ID_NUMBER.sub(lambda m: f"{m[1]}*******{m[3]}", text)
