"""A local TikTok Events API per test, and a harness whose settings point at it."""

from __future__ import annotations

from destinations.ads.platforms import local_api, tiktok_settings
from eventyard.destinations.tiktok_events_api import definition
from fakes.tiktok_events_api import TikTokFake

fake, harness = local_api(definition, TikTokFake, tiktok_settings)
