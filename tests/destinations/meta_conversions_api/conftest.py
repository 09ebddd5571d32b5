"""A local Meta Graph API per test, and a harness whose settings point at it."""

from __future__ import annotations

from destinations.ads.platforms import local_api, meta_settings
from eventyard.destinations.meta_conversions_api import definition
from fakes.meta_conversions_api import MetaFake

fake, harness = local_api(definition, MetaFake, meta_settings)
