"""A local Mixpanel per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.mixpanel import definition
from fakes.common import fake_fixture
from fakes.mixpanel import MixpanelFake

fake = fake_fixture("fake", MixpanelFake)


@pytest.fixture
def harness(fake: MixpanelFake) -> Harness:
    """`harness(**settings)`: token + API secret auth against the fake, overridable."""
    return settings_harness(
        definition,
        {"project_token": fake.token, "api_secret": fake.api_secret, "endpoint": fake.url},
    )
