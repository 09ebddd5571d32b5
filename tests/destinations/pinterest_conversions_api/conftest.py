"""A local Pinterest Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.pinterest_conversions_api import definition
from fakes.common import fake_fixture
from fakes.pinterest_conversions_api import PinterestFake

fake = fake_fixture("fake", PinterestFake)


@pytest.fixture
def harness(fake: PinterestFake) -> Harness:
    """`harness(**settings)`: the fake's ad account, token and host, overridable."""
    return settings_harness(
        definition,
        {
            "ad_account_id": fake.ad_account_id,
            "conversion_token": fake.token,
            "api_base_url": fake.url,
        },
    )
