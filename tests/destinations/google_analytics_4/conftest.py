"""A local GA4 Measurement Protocol per test, and a harness whose settings point at it."""

from __future__ import annotations

from destinations.ads.platforms import ga4_settings, local_api
from eventyard.destinations.google_analytics_4 import definition
from fakes.google_analytics_4 import Ga4Fake

fake, harness = local_api(definition, Ga4Fake, ga4_settings)
