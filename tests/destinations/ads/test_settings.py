"""Checks of base URLs, API versions and ids that end up in URL paths."""

from __future__ import annotations

import pytest

from eventyard.destinations.ads.settings import check_base_url, check_segment, check_version


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
