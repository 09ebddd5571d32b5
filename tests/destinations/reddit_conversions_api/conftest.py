"""A local Reddit Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.reddit_conversions_api import definition
from fakes.common import fake_fixture
from fakes.reddit_conversions_api import RedditFake

fake = fake_fixture("fake", RedditFake)


@pytest.fixture
def harness(fake: RedditFake) -> Harness:
    """`harness(**settings)`: v3 with the fake's pixel, token and host, overridable."""
    return settings_harness(
        definition,
        {"pixel_id": fake.pixel_id, "conversion_token": fake.token, "api_base_url": fake.url},
    )


@pytest.fixture
def v2(fake: RedditFake) -> dict[str, str | None]:
    """Settings overrides for v2.0 with the fake's ad account."""
    return {"api_version": "v2.0", "pixel_id": None, "ad_account_id": fake.ad_account_id}
