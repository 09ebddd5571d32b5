"""A PostHog fake per test and a harness pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eventyard.destinations.posthog import definition
from eventyard.testing import DestinationHarness
from fakes.posthog_api import PostHogFake

KEY = "phc_test"


@pytest.fixture
async def posthog() -> AsyncIterator[PostHogFake]:
    async with PostHogFake(api_keys=(KEY,)) as fake:
        yield fake


@pytest.fixture
def harness(posthog: PostHogFake) -> DestinationHarness:
    return DestinationHarness(definition, {"api_key": KEY, "host": posthog.url})
