"""What the Reddit destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.destinations.reddit_conversions_api import definition
from eventyard.errors import TerminalError
from eventyard.pipeline.actions import compile_action
from fakes.reddit_conversions_api import RedditFake

V3 = {"pixel_id": "a2_abc", "conversion_token": "t"}


def test_declared() -> None:
    spec = checks.declared(definition, "reddit-conversions-api", "reddit", {"conversion_token"})
    assert set(definition.actions) == {"send_conversion"}
    assert "refund" not in spec.default_events and {"purchase", "lead"} <= spec.default_events
    assert spec.limited_mode is True and spec.max_age == 7 * 86400


def test_default_subscription_and_mapping_compile() -> None:
    action = definition.actions["send_conversion"]
    compiled = compile_action("send_conversion", action, where="reddit.send_conversion")
    assert compiled.subscription.text == 'type = "track"'


def test_batches_hold_1000_events() -> None:
    settings = decode_settings(definition, V3)
    batch = definition.actions["send_conversion"].batch
    limits = batch(settings) if batch is not None else None
    assert limits is not None and limits.max_events == 1000


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        (V3, "https://ads-api.reddit.com/api/v3/pixels/a2_abc/conversion_events"),
        (
            {"api_version": "v2.0", "ad_account_id": "t2_x", "conversion_token": "t"},
            "https://ads-api.reddit.com/api/v2.0/conversions/events/t2_x",
        ),
    ],
)
def test_each_version_has_its_endpoint(raw: dict[str, Any], url: str) -> None:
    assert decode_settings(definition, raw).events_url == url


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"pixel_id": "a2_abc"}, "conversion_token"),
        ({**V3, "conversion_token": ""}, "conversion_token"),
        ({"conversion_token": "t"}, "v3 needs pixel_id"),
        ({"conversion_token": "t", "api_version": "v2.0"}, "needs ad_account_id"),
        ({**V3, "ad_account_id": "t2_x"}, "ad_account_id is for the other"),
        ({**V3, "api_version": "v1"}, "api_version"),
        ({**V3, "pixel_id": "a2/../../admin"}, "pixel_id"),
        ({**V3, "pixel_id": "a" * 65}, "pixel_id"),
        ({**V3, "test_mode": True}, "v3 has no test_mode"),
        (
            {"api_version": "v2.0", "ad_account_id": "t2", "conversion_token": "t", "test_id": "x"},
            "test_id is for v3",
        ),
        ({**V3, "test_id": "bad id"}, "test_id"),
        ({**V3, "api_base_url": "ads-api.reddit.com"}, "api_base_url"),
        ({**V3, "pixelId": "x"}, "pixelId"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


async def test_connection_v3_needs_a_test_id(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="set test_id"):
        await harness().test_connection()


async def test_connection_sends_a_test_page_visit(fake: RedditFake, harness: Harness) -> None:
    await harness(test_id="t3st-id").test_connection()
    (event,) = fake.test_events
    assert event["type"] == {"tracking_type": "PAGE_VISIT"}
    assert orjson.loads(fake.requests[0].body)["data"]["test_id"] == "t3st-id"


async def test_connection_v2_uses_test_mode(
    fake: RedditFake, harness: Harness, v2: dict[str, str | None]
) -> None:
    await harness(**v2).test_connection()
    assert orjson.loads(fake.requests[0].body)["test_mode"] is True
    assert len(fake.test_events) == 1


async def test_connection_with_a_bad_token(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="refused the conversion token") as caught:
        await harness(test_id="t", conversion_token="nope-token").test_connection()
    assert "nope-token" not in str(caught.value)
