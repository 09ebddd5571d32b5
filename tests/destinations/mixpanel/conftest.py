"""A local Mixpanel per test, and a harness whose settings point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eventyard.destinations.mixpanel import definition
from eventyard.testing import DestinationHarness
from fakes.mixpanel import MixpanelFake

Harness = Callable[..., DestinationHarness]


@pytest.fixture
async def fake() -> AsyncIterator[MixpanelFake]:
    async with MixpanelFake() as mixpanel:
        yield mixpanel


@pytest.fixture
def harness(fake: MixpanelFake) -> Harness:
    """`harness(**settings)`: token + API secret auth against the fake, overridable."""

    def make(**settings: Any) -> DestinationHarness:
        values = {"project_token": fake.token, "api_secret": fake.api_secret, "endpoint": fake.url}
        values.update(settings)
        return DestinationHarness(definition, {k: v for k, v in values.items() if v is not None})

    return make
