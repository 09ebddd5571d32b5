"""A local Amplitude per test, and a harness whose settings point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eventyard.destinations.amplitude import definition
from eventyard.testing import DestinationHarness
from fakes.amplitude import AmplitudeFake

Harness = Callable[..., DestinationHarness]


@pytest.fixture
async def fake() -> AsyncIterator[AmplitudeFake]:
    async with AmplitudeFake() as amplitude:
        yield amplitude


@pytest.fixture
def harness(fake: AmplitudeFake) -> Harness:
    """`harness(**settings)`: the fake's keys and host, overridable."""

    def make(**settings: Any) -> DestinationHarness:
        values = {"api_key": fake.api_key, "secret_key": fake.secret_key, "api_host": fake.url}
        values.update(settings)
        return DestinationHarness(definition, {k: v for k, v in values.items() if v is not None})

    return make
