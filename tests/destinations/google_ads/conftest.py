"""A local Google Ads API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.google_ads import definition
from fakes.common import fake_fixture
from fakes.google_ads import GoogleAdsFake

fake = fake_fixture("fake", GoogleAdsFake)


@pytest.fixture
def harness(fake: GoogleAdsFake) -> Harness:
    """`harness(**settings)`: the fake's customer, actions, token and host, overridable."""
    return settings_harness(
        definition,
        {
            "customer_id": "123-456-7890",
            "developer_token": fake.developer_token,
            "access_token": "access-token-0",
            "conversion_actions": {"purchase": "111", "lead": "222"},
            "api_base_url": fake.url,
            "token_url": f"{fake.url}/token",
        },
    )


@pytest.fixture
def oauth(fake: GoogleAdsFake) -> dict[str, str | None]:
    """Settings that renew tokens from the fake's OAuth client instead of a fixed token."""
    client_id, client_secret, refresh_token = fake.client
    return {
        "access_token": None,
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
