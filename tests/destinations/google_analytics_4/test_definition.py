"""What the GA4 destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads import checks
from destinations.harness import Harness
from eventyard.control.config import decode_settings
from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.destinations.google_analytics_4 import definition
from eventyard.errors import TerminalError, TransientError
from fakes.google_analytics_4 import Ga4Fake
from fakes.webhook_receiver import Answer

WEB = {"measurement_id": "G-ABC1234", "api_secret": "s"}


def test_declared() -> None:
    spec = checks.declared(
        definition, "google-analytics-4", "google_analytics_4", {"api_secret"}, consent="Analytics"
    )
    assert set(definition.actions) == {"send_event"}
    assert spec.default_events == REVENUE_EVENTS | LEAD_EVENTS
    assert spec.limited_mode is True and spec.max_age == 72 * 3600
    assert spec.minimum == ()


def test_batches_hold_25_events() -> None:
    settings = decode_settings(definition, {**WEB, "batch_wait_ms": 200})
    batch = definition.actions["send_event"].batch
    limits = batch(settings) if batch is not None else None
    assert limits is not None and (limits.max_events, limits.max_wait) == (25, 0.2)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"measurement_id": "G-ABC1234"}, "api_secret"),
        ({"measurement_id": "G-ABC1234", "api_secret": "  "}, "api_secret"),
        ({"api_secret": "s"}, "exactly one of measurement_id"),
        ({**WEB, "firebase_app_id": "1:12:android:ab"}, "exactly one of measurement_id"),
        ({**WEB, "measurement_id": "UA-1234-1"}, "G-XXXXXXX"),
        ({**WEB, "measurement_id": "G-ABC1234&api_secret=x"}, "G-XXXXXXX"),
        ({**WEB, "measurement_id": "G-" + "A" * 5000}, "G-XXXXXXX"),
        ({"api_secret": "s", "firebase_app_id": "my-app"}, "firebase_app_id"),
        ({**WEB, "api_base_url": "www.google-analytics.com"}, "api_base_url"),
        ({**WEB, "api_base_url": "https://x.example/?a=1"}, "api_base_url"),
        ({**WEB, "measurementId": "G-ABC1234"}, "measurementId"),
        ({**WEB, "debug": "yes"}, "debug"),
        ({**WEB, "batch_wait_ms": -1}, "batch_wait_ms"),
        ({**WEB, "api_secret": 12}, "api_secret"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    checks.refused_settings(definition, raw, message)


def test_region1_host_and_debug_path() -> None:
    settings = decode_settings(
        definition, {**WEB, "api_base_url": "https://region1.google-analytics.com/", "debug": True}
    )
    assert settings.collect_url == "https://region1.google-analytics.com/debug/mp/collect"


async def test_connection_validates_at_the_debug_endpoint(fake: Ga4Fake, harness: Harness) -> None:
    await harness().test_connection()
    (request,) = fake.requests
    assert request.path.startswith("/debug/mp/collect?measurement_id=G-TEST12345&api_secret=")
    assert fake.events == [] and fake.dropped == []


async def test_connection_for_an_app_stream(fake: Ga4Fake, harness: Harness) -> None:
    await harness(measurement_id=None, firebase_app_id=fake.firebase_app_id).test_connection()
    assert "firebase_app_id=" in fake.requests[0].path


async def test_connection_reports_validation_messages(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="api_secret: unknown api_secret"):
        await harness(api_secret="wrong").test_connection()


async def test_connection_5xx_is_transient(fake: Ga4Fake, harness: Harness) -> None:
    fake.receiver.on_request = lambda request: Answer(503, {}, b"busy")
    with pytest.raises(TransientError, match="HTTP 503"):
        await harness().test_connection()
