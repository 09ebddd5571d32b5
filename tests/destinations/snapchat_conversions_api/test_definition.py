"""What the Snap destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.destinations.snapchat_conversions_api import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from fakes.snapchat_conversions_api import SnapFake


def _settings(**extra: Any) -> dict[str, Any]:
    return {"pixel_id": "a1b2c3d4-pixel", "access_token": "t", **extra}


def test_declared_as_an_unordered_advertising_destination() -> None:
    spec = checks.declared(definition, "snapchat-conversions-api", "snap", {"access_token"})
    assert spec.max_age == 37 * 86400
    assert spec.default_events == {"purchase", "subscribe", "sign_up", "start_trial"}
    action = definition.actions["send_conversion"]
    compile_action("send_conversion", action, where="snap.send_conversion")
    limits = action.batch(decode_settings(definition, _settings())) if action.batch else None
    assert limits is not None and limits.max_events == 2000


@pytest.mark.parametrize(
    ("validate", "url"),
    [
        (False, "https://tr.snapchat.com/v3/a1b2c3d4-pixel/events"),
        (True, "https://tr.snapchat.com/v3/a1b2c3d4-pixel/events/validate"),
    ],
)
def test_validate_only_picks_the_validate_endpoint(validate: bool, url: str) -> None:
    assert decode_settings(definition, _settings(validate_only=validate)).events_url == url


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"access_token": "t"}, "pixel_id"),
        (_settings(pixel_id="abc/events?x"), "Snap Pixel ID"),
        (_settings(access_token=" "), "access_token"),
        (_settings(api_version="v3/../v2"), "api_version"),
        (_settings(api_base_url="https://tr.snapchat.com#x"), "api_base_url"),
        (_settings(validate_only="yes"), "validate_only"),
        (_settings(snap_app_id="x"), "snap_app_id"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


async def test_connection_validates_a_test_event(fake: SnapFake, harness: Harness) -> None:
    await harness().test_connection()
    (request,) = fake.requests
    assert request.path.startswith("/v3/a1b2c3d4-pixel/events/validate?access_token=")
    assert fake.events == [] and len(fake.validated) == 1


async def test_connection_with_a_bad_token_says_what_to_fix(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="generate a Conversions API token") as caught:
        await harness(access_token="stale").test_connection()
    assert "stale" not in str(caught.value)
