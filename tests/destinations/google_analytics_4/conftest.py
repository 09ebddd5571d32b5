"""A local GA4 Measurement Protocol per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.google_analytics_4 import definition
from fakes.common import fake_fixture
from fakes.google_analytics_4 import Ga4Fake

fake = fake_fixture("fake", Ga4Fake)


@pytest.fixture
def harness(fake: Ga4Fake) -> Harness:
    """`harness(**settings)`: the fake's web stream, secret and host, overridable."""
    return settings_harness(
        definition,
        {
            "measurement_id": fake.measurement_id,
            "api_secret": fake.api_secret,
            "api_base_url": fake.url,
        },
    )
