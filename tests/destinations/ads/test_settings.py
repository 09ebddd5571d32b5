"""Checks of base URLs, API versions and ids that end up in URL paths, and the settings base."""

from __future__ import annotations

import msgspec
import pytest

from eventyard.destinations.ads.settings import (
    AdSettings,
    BatchWait,
    check_base_url,
    check_segment,
    check_test_event_code,
    check_version,
)
from eventyard.destinations.base import Secret


def test_base_url() -> None:
    assert check_base_url("k", "https://graph.facebook.com/") == "https://graph.facebook.com"
    assert check_base_url("k", "http://127.0.0.1:8080/proxy") == "http://127.0.0.1:8080/proxy"
    for bad in (
        "graph.facebook.com",
        "file:///etc",
        "https://x?token=1",
        "https://x#f",
        "https://",
    ):
        with pytest.raises(ValueError, match="k"):
            check_base_url("k", bad)


def test_version() -> None:
    check_version("v", "v24.0", "v24.0")
    check_version("v", "v5", "v5")
    for bad in ("24.0", "v24.0/..", "v", "latest", "v1234.0"):
        with pytest.raises(ValueError, match=r"must look like 'v24\.0'"):
            check_version("v", bad, "v24.0")


def test_segment() -> None:
    check_segment("id", "123", r"\d+", "digits")
    for bad in ("12/3", "123\n", "", "1 2"):
        with pytest.raises(ValueError, match=r"id .* must be digits"):
            check_segment("id", bad, r"\d+", "digits")


class _Settings(AdSettings, kw_only=True):
    pixel_id: str
    token: Secret
    refresh: Secret | None = None
    api_version: str = "v5"
    api_base_url: str = "https://api.example"
    token_url: str = "https://auth.example/"
    test_event_code: str | None = None
    batch_wait_ms: BatchWait = 1000

    def __post_init__(self) -> None:
        check_segment("pixel_id", self.pixel_id, r"\d+", "digits")
        check_test_event_code(self.test_event_code, "Test events")
        super().__post_init__()


def test_ad_settings_check_what_every_platform_declares() -> None:
    settings = msgspec.convert({"pixel_id": "1", "token": "t", "refresh": ""}, _Settings)
    assert (settings.api_base_url, settings.token_url) == (
        "https://api.example",
        "https://auth.example",
    )
    for raw, message in (
        ({"token": "t"}, "pixel_id"),
        ({"pixel_id": "1/2", "token": "t"}, "must be digits"),
        ({"pixel_id": "1", "token": "  "}, "token must not be empty"),
        ({"pixel_id": "1", "token": "t", "api_version": "5"}, r"must look like 'v5'"),
        ({"pixel_id": "1", "token": "t", "api_base_url": "api.example"}, "api_base_url"),
        ({"pixel_id": "1", "token": "t", "token_url": "https://a?x=1"}, "token_url"),
        ({"pixel_id": "1", "token": "t", "test_event_code": "a b"}, "Test events"),
        ({"pixel_id": "1", "token": "t", "pixelId": "1"}, "pixelId"),
        ({"pixel_id": "1", "token": "t", "batch_wait_ms": 60_001}, "batch_wait_ms"),
    ):
        with pytest.raises(msgspec.ValidationError, match=message):
            msgspec.convert(raw, _Settings)
