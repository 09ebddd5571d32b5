"""A local Google Ads API per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.ads.platforms import google_ads_settings, local_api
from eventyard.destinations.google_ads import definition
from fakes.google_ads import GoogleAdsFake

fake, harness = local_api(definition, GoogleAdsFake, google_ads_settings)


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
