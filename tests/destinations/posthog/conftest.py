"""A PostHog fake per test and a harness pointed at it."""

from __future__ import annotations

import pytest

from eventyard.destinations.posthog import definition
from eventyard.testing import DestinationHarness
from fakes.common import fake_fixture
from fakes.posthog_api import PostHogFake

KEY = "phc_test"


posthog = fake_fixture("posthog", lambda: PostHogFake(api_keys=(KEY,)))


@pytest.fixture
def harness(posthog: PostHogFake) -> DestinationHarness:
    return DestinationHarness(definition, {"api_key": KEY, "host": posthog.url})
