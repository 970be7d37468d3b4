"""Loading the local server's API keys (what ``cnic-ocr serve`` does at start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnic_ocr.api.keys import API_KEYS_ENV, ApiKeyConfigError, load_api_keys


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEYS_ENV, " key-one ,key-two,,key-one ")
    assert load_api_keys() == ["key-one", "key-two"]


@pytest.mark.parametrize("value", [None, "", " , ,"])
def test_no_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(API_KEYS_ENV, raising=False)
    else:
        monkeypatch.setenv(API_KEYS_ENV, value)
    with pytest.raises(ApiKeyConfigError, match=f"no API key configured.*{API_KEYS_ENV}=.*--api-key-file"):
        load_api_keys()


def test_keys_from_a_file_take_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(API_KEYS_ENV, "from-env")
    key_file = tmp_path / "keys"
    key_file.write_text("# clients\nfile-key-1\n\n  file-key-2  \n# retired: old-key\n", encoding="utf-8")
    assert load_api_keys(key_file) == ["file-key-1", "file-key-2"]


def test_an_empty_key_file_is_a_clear_error(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("# nothing yet\n\n", encoding="utf-8")
    with pytest.raises(ApiKeyConfigError, match="no API key configured in the API key file"):
        load_api_keys(key_file)


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ApiKeyConfigError, match="cannot read the API key file"):
        load_api_keys(tmp_path / "absent")


@pytest.mark.parametrize("bad", ["with space", "tab\there", "ключ", "bell\x07"])
def test_keys_an_http_header_cannot_carry_are_refused_without_echoing_them(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv(API_KEYS_ENV, f"good-key,{bad}")
    with pytest.raises(ApiKeyConfigError, match="API key #2") as raised:
        load_api_keys()
    assert bad not in str(raised.value)
