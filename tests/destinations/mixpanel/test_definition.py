"""What the Mixpanel destination declares, its settings validation and its connection test."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from eventyard.control.config import decode_settings
from eventyard.destinations.base import secret_fields
from eventyard.destinations.mixpanel import definition
from eventyard.destinations.registry import get_definition
from eventyard.errors import TerminalError
from fakes.mixpanel import MixpanelFake

from .conftest import Harness


def test_registered_and_declared() -> None:
    assert get_definition("mixpanel") is definition
    assert set(definition.actions) == {"trackEvent", "identifyUser", "groupIdentifyUser"}
    assert definition.ordered is True
    assert definition.consent_category == "Analytics"
    assert secret_fields(definition.settings) == {
        "project_token",
        "api_secret",
        "service_account_secret",
    }
    limits = definition.actions["trackEvent"].batch
    batch = limits(None) if limits is not None else None
    assert batch is not None and batch.max_events == 2000
    assert batch.max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("region", "host"),
    [("US", "https://api.mixpanel.com"), ("EU", "https://api-eu.mixpanel.com"),
     ("IN", "https://api-in.mixpanel.com")],
)  # fmt: skip
def test_region_picks_the_residency_host(region: str, host: str) -> None:
    settings = decode_settings(definition, {"project_token": "t", "api_region": region})
    assert settings.base_url == host


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "project_token"),
        ({"project_token": "t", "endpoint": "api.mixpanel.com"}, "endpoint"),
        ({"project_token": "t", "api_region": "APAC"}, "api_region"),
        ({"project_token": "t", "project_id": "1"}, "service_account_username"),
        ({"project_token": "t", "apiSecret": "s"}, "apiSecret"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        decode_settings(definition, raw)


async def test_connection_ok(fake: MixpanelFake, harness: Harness) -> None:
    await harness().test_connection()
    assert fake.requests[0].path == "/import?strict=1"


async def test_connection_with_bad_secret_says_what_to_fix(harness: Harness) -> None:
    with pytest.raises(TerminalError, match=r"refused the credentials.*api_secret"):
        await harness(api_secret="wrong").test_connection()
