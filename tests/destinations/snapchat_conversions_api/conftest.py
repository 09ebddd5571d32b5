"""A local Snapchat Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

from destinations.ads.platforms import local_api, snap_settings
from eventyard.destinations.snapchat_conversions_api import definition
from fakes.snapchat_conversions_api import SnapFake

fake, harness = local_api(definition, SnapFake, snap_settings)
