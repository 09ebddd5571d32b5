"""A local Reddit Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.ads.platforms import local_api, reddit_settings
from eventyard.destinations.reddit_conversions_api import definition
from fakes.reddit_conversions_api import RedditFake

fake, harness = local_api(definition, RedditFake, reddit_settings)


@pytest.fixture
def v2(fake: RedditFake) -> dict[str, str | None]:
    """Settings overrides for v2.0 with the fake's ad account."""
    return {"api_version": "v2.0", "pixel_id": None, "ad_account_id": fake.ad_account_id}
