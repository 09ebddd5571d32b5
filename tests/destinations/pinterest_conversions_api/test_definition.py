"""What the Pinterest destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.destinations.pinterest_conversions_api import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from fakes.pinterest_conversions_api import PinterestFake


def _settings(**extra: Any) -> dict[str, Any]:
    return {"ad_account_id": "549755885175", "conversion_token": "t", **extra}


def test_declared_as_an_unordered_advertising_destination() -> None:
    spec = checks.declared(
        definition, "pinterest-conversions-api", "pinterest", {"conversion_token"}
    )
    assert spec.minimum == (frozenset({"email"}), frozenset({"ip", "user_agent"}))
    assert {"purchase", "lead", "sign_up"} <= spec.default_events
    action = definition.actions["send_conversion"]
    compile_action("send_conversion", action, where="pinterest.send_conversion")
    limits = action.batch(decode_settings(definition, _settings())) if action.batch else None
    assert limits is not None and limits.max_events == 1000


def test_defaults_point_at_the_v5_api() -> None:
    settings = decode_settings(definition, _settings())
    assert settings.events_url == "https://api.pinterest.com/v5/ad_accounts/549755885175/events"
    assert settings.test_mode is False


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"conversion_token": "t"}, "ad_account_id"),
        (_settings(ad_account_id="5497/../1"), "numeric ad account"),
        (_settings(ad_account_id=549755885175), "Expected `str`"),
        (_settings(conversion_token=""), "conversion_token"),
        (_settings(api_version="5"), "api_version"),
        (_settings(api_base_url="https://api.pinterest.com/v5?x=1"), "api_base_url"),
        (_settings(test_mode=1), "test_mode"),
        (_settings(access_token="t"), "access_token"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


async def test_connection_sends_a_test_event(fake: PinterestFake, harness: Harness) -> None:
    await harness().test_connection()
    (request,) = fake.requests
    assert request.path == "/v5/ad_accounts/549755885175/events?test=true"
    assert fake.events == [] and len(fake.test_events) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"conversion_token": "old"}, "check conversion_token"), ({"ad_account_id": "1"}, "role")],
)
async def test_connection_failures_say_what_to_fix(
    harness: Harness, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(TerminalError, match=message) as caught:
        await harness(**settings).test_connection()
    assert "pin-token" not in str(caught.value)
