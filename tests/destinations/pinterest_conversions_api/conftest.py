"""A local Pinterest Conversions API per test, and a harness whose settings point at it."""

from __future__ import annotations

from destinations.ads.platforms import local_api, pinterest_settings
from eventyard.destinations.pinterest_conversions_api import definition
from fakes.pinterest_conversions_api import PinterestFake

fake, harness = local_api(definition, PinterestFake, pinterest_settings)
