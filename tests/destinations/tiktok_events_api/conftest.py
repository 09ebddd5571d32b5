"""A local TikTok Events API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.tiktok_events_api import definition
from fakes.common import fake_fixture
from fakes.tiktok_events_api import TikTokFake

fake = fake_fixture("fake", TikTokFake)


@pytest.fixture
def harness(fake: TikTokFake) -> Harness:
    """`harness(**settings)`: the fake's token, pixel and host, overridable."""
    return settings_harness(
        definition,
        {
            "access_token": fake.token,
            "event_source_id": fake.pixel_code,
            "api_base_url": fake.url,
        },
    )
