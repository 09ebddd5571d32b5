"""What the Meta destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.destinations.meta_conversions_api import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from fakes.meta_conversions_api import MetaFake


def test_declared_as_an_unordered_advertising_destination() -> None:
    spec = checks.declared(definition, "meta-conversions-api", "meta", {"access_token"})
    assert set(definition.actions) == {"send_conversion"}
    assert spec.default_events == {
        "purchase",
        "subscribe",
        "lead",
        "sign_up",
        "start_trial",
        "contact",
    }
    assert spec.limited_mode is True and spec.max_age == 7 * 86400
    action = definition.actions["send_conversion"]
    compiled = compile_action("send_conversion", action, where="meta.send_conversion")
    assert compiled.subscription.text == 'type = "track"'
    limits = action.batch(decode_settings(definition, _settings())) if action.batch else None
    assert limits is not None and limits.max_events == 1000 and limits.max_wait == 1.0


def _settings(**extra: Any) -> dict[str, Any]:
    return {"pixel_id": "1234567890", "access_token": "t", **extra}


def test_defaults_point_at_the_graph_api() -> None:
    settings = decode_settings(definition, _settings())
    assert settings.events_url == "https://graph.facebook.com/v24.0/1234567890/events"
    assert settings.test_event_code is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"access_token": "t"}, "pixel_id"),
        (_settings(pixel_id="123/../456"), "numeric pixel"),
        (_settings(pixel_id="123?x=1"), "numeric pixel"),
        (_settings(pixel_id="9" * 33), "numeric pixel"),
        (_settings(pixel_id=1234), "Expected `str`"),
        (_settings(access_token="  "), "access_token"),
        (_settings(api_version="24.0"), "api_version"),
        (_settings(api_version="v24.0/../../x"), "api_version"),
        (_settings(api_base_url="graph.facebook.com"), "api_base_url"),
        (_settings(api_base_url="https://graph.facebook.com?access_token=x"), "api_base_url"),
        (_settings(test_event_code="TEST 1"), "test_event_code"),
        (_settings(test_event_code="T" * 65), "test_event_code"),
        (_settings(batch_wait_ms=-1), "batch_wait_ms"),
        (_settings(pixelId="1"), "pixelId"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


async def test_connection_reads_the_pixel(fake: MetaFake, harness: Harness) -> None:
    await harness().test_connection()
    (request,) = fake.requests
    assert request.method == "GET" and request.path.startswith("/v24.0/1234567890?fields=")
    assert request.headers["authorization"] == "Bearer meta-token"


async def test_connection_with_a_bad_token_says_what_to_fix(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="access token is invalid or expired") as caught:
        await harness(access_token="wrong").test_connection()
    assert "wrong" not in str(caught.value)


async def test_connection_with_an_unknown_pixel_names_the_setting(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="check pixel_id"):
        await harness(pixel_id="999").test_connection()
