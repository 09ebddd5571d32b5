"""A local Snapchat Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.snapchat_conversions_api import definition
from fakes.common import fake_fixture
from fakes.snapchat_conversions_api import SnapFake

fake = fake_fixture("fake", SnapFake)


@pytest.fixture
def harness(fake: SnapFake) -> Harness:
    """`harness(**settings)`: the fake's pixel, token and host, overridable."""
    return settings_harness(
        definition,
        {"pixel_id": fake.pixel_id, "access_token": fake.token, "api_base_url": fake.url},
    )
