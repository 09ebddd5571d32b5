"""Each ad destination pointed at its local fake: the settings, used by the harness tests'
fixtures and by the e2e tests' eventyard.yaml, and the `fake` + `harness` fixture pair."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.base import DestinationDefinition
from fakes.common import FakeApi, fake_fixture
from fakes.google_ads import GoogleAdsFake
from fakes.google_analytics_4 import Ga4Fake
from fakes.meta_conversions_api import MetaFake
from fakes.pinterest_conversions_api import PinterestFake
from fakes.reddit_conversions_api import RedditFake
from fakes.snapchat_conversions_api import SnapFake
from fakes.tiktok_events_api import TikTokFake

__all__ = [
    "ga4_settings",
    "google_ads_settings",
    "local_api",
    "meta_settings",
    "pinterest_settings",
    "reddit_settings",
    "snap_settings",
    "tiktok_settings",
]

F = TypeVar("F", bound=AbstractAsyncContextManager[Any])


def _at(fake: FakeApi, **ids: str) -> dict[str, Any]:
    """The destination's ids and credentials, and the fake's URL as its API host."""
    return {**ids, "api_base_url": fake.url}


def meta_settings(fake: MetaFake) -> dict[str, Any]:
    return _at(fake, pixel_id=fake.pixel_id, access_token=fake.token)


def tiktok_settings(fake: TikTokFake) -> dict[str, Any]:
    return _at(fake, access_token=fake.token, event_source_id=fake.pixel_code)


def snap_settings(fake: SnapFake) -> dict[str, Any]:
    return _at(fake, pixel_id=fake.pixel_id, access_token=fake.token)


def pinterest_settings(fake: PinterestFake) -> dict[str, Any]:
    return _at(fake, ad_account_id=fake.ad_account_id, conversion_token=fake.token)


def reddit_settings(fake: RedditFake) -> dict[str, Any]:
    """v3, by pixel."""
    return _at(fake, pixel_id=fake.pixel_id, conversion_token=fake.token)


def ga4_settings(fake: Ga4Fake) -> dict[str, Any]:
    """A web stream."""
    return _at(fake, measurement_id=fake.measurement_id, api_secret=fake.api_secret)


def google_ads_settings(fake: GoogleAdsFake) -> dict[str, Any]:
    """A customer with purchase and lead actions, a fixed access token, the fake's OAuth."""
    return {
        "customer_id": "123-456-7890",
        "developer_token": fake.developer_token,
        "access_token": "access-token-0",
        "conversion_actions": {"purchase": "111", "lead": "222"},
        "api_base_url": fake.url,
        "token_url": f"{fake.url}/token",
    }


def local_api(
    definition: DestinationDefinition,
    make: Callable[[], F],
    settings: Callable[[F], dict[str, Any]],
) -> tuple[Any, Any]:
    """The fixtures `fake` (a local API per test) and `harness` (`harness(**overrides)`: the
    destination with `settings(fake)`, each overridable, None dropping one)."""

    def harness(fake: F) -> Harness:
        return settings_harness(definition, settings(fake))

    return fake_fixture("fake", make), pytest.fixture(harness, name="harness")
