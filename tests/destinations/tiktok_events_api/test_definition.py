"""What the TikTok destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.destinations.tiktok_events_api import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from fakes.tiktok_events_api import TikTokFake


def _settings(**extra: Any) -> dict[str, Any]:
    return {"access_token": "t", "event_source_id": "CPIXEL123", **extra}


def test_declared_as_an_unordered_advertising_destination() -> None:
    spec = checks.declared(definition, "tiktok-events-api", "tiktok", {"access_token"})
    assert set(definition.actions) == {"send_conversion"}
    assert "purchase" in spec.default_events and "refund" not in spec.default_events
    assert spec.max_age is None
    action = definition.actions["send_conversion"]
    assert "action_source" not in action.fields
    compile_action("send_conversion", action, where="tiktok.send_conversion")
    limits = action.batch(decode_settings(definition, _settings())) if action.batch else None
    assert limits is not None and limits.max_events == 1000


def test_defaults_point_at_the_business_api() -> None:
    settings = decode_settings(definition, _settings())
    assert settings.track_url == "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    assert settings.event_source == "web"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"access_token": "t"}, "event_source_id"),
        (_settings(access_token=""), "access_token"),
        (_settings(event_source_id="C/../x"), "pixel code"),
        (_settings(event_source="store"), "event_source"),
        (_settings(api_version="1.3"), "api_version"),
        (_settings(api_base_url="ftp://x"), "api_base_url"),
        (_settings(test_event_code="a b"), "test_event_code"),
        (_settings(pixel_code="C1"), "pixel_code"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


async def test_connection_sends_a_test_event(fake: TikTokFake, harness: Harness) -> None:
    await harness(test_event_code="TEST123").test_connection()
    (request,) = fake.requests
    body = orjson.loads(request.body)
    assert body["test_event_code"] == "TEST123" and body["data"][0]["event"] == "PageView"
    assert fake.events == [] and len(fake.test_events) == 1


async def test_connection_needs_a_test_event_code(fake: TikTokFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="set test_event_code"):
        await harness().test_connection()
    assert fake.requests == []


async def test_connection_with_a_bad_token_says_what_to_fix(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="check access_token") as caught:
        await harness(access_token="nope", test_event_code="T1").test_connection()
    assert "nope" not in str(caught.value)
