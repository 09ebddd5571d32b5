"""What the Amplitude destination declares, its settings validation and connection test."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from eventyard.control.config import decode_settings
from eventyard.destinations.amplitude import definition
from eventyard.destinations.base import secret_fields
from eventyard.destinations.registry import get_definition
from eventyard.errors import TerminalError
from fakes.amplitude import AmplitudeFake

from .conftest import Harness


def test_registered_and_declared() -> None:
    assert get_definition("amplitude") is definition
    assert set(definition.actions) == {"logEvent", "identifyUser"}
    assert definition.ordered is True
    assert definition.consent_category == "Analytics"
    assert secret_fields(definition.settings) == {"api_key", "secret_key"}


@pytest.mark.parametrize(
    ("use_batch", "max_bytes"), [(False, 1_000_000 - 1024), (True, 20_000_000 - 1024)]
)
def test_batch_limits_follow_the_endpoint(use_batch: bool, max_bytes: int) -> None:
    settings = decode_settings(definition, {"api_key": "k", "use_batch_endpoint": use_batch})
    limits = definition.actions["logEvent"].batch
    batch = limits(settings) if limits is not None else None
    assert batch is not None and (batch.max_events, batch.max_bytes) == (2000, max_bytes)


@pytest.mark.parametrize(
    ("region", "host"),
    [("north_america", "https://api2.amplitude.com"), ("europe", "https://api.eu.amplitude.com")],
)
def test_region_picks_the_residency_host(region: str, host: str) -> None:
    settings = decode_settings(definition, {"api_key": "k", "endpoint": region})
    assert settings.ingest_url == host


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "api_key"),
        ({"api_key": "k", "api_host": "localhost:8080"}, "api_host"),
        ({"api_key": "k", "endpoint": "asia"}, "endpoint"),
        ({"api_key": "k", "min_id_length": 0}, "min_id_length"),
        ({"api_key": "k", "apiKey": "k"}, "apiKey"),
    ],
)
def test_invalid_settings_are_rejected(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        decode_settings(definition, raw)


async def test_connection_ok(fake: AmplitudeFake, harness: Harness) -> None:
    await harness().test_connection()
    assert fake.requests[0].path.startswith("/api/2/usersearch?user=")


async def test_connection_with_bad_secret_says_what_to_fix(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="refused the keys"):
        await harness(secret_key="wrong").test_connection()


async def test_connection_needs_the_secret_key(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="set secret_key"):
        await harness(secret_key=None).test_connection()
