"""Snapchat Conversions API v3: web, app and offline conversions for a pixel or Snap app.

Sources (conversions.md §5): developers.snap.com/api/marketing-api/Conversions-API
(Introduction, UsingTheAPI, BestPractices, Deduplication), Snapchat/business-sdk-v3-java
api/openapi.yaml. `POST https://tr.snapchat.com/v3/{pixel_id}/events?access_token=...` with
`{"data": [...]}`; `/events/validate` takes the same body and records nothing, so
test_connection validates one page view there.
"""

from __future__ import annotations

from functools import partial

from msgspec.structs import replace

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.ads.probe import probe_connection
from eventyard.destinations.snapchat_conversions_api.events import CONVERSION
from eventyard.destinations.snapchat_conversions_api.send import send_conversion
from eventyard.destinations.snapchat_conversions_api.settings import SnapSettings

__all__ = ["CONVERSION", "SnapSettings", "definition"]


definition = ad_destination(
    "snapchat-conversions-api",
    "Snapchat Conversions API",
    catalog_names=("Snap Conversions Api",),
    settings=SnapSettings,
    actions={"send_conversion": send_conversion},
    conversion=CONVERSION,
    test_connection=probe_connection(send_conversion, partial(replace, validate_only=True)),
    description="Purchases and sign-ups sent to Snap, deduplicated with the pixel.",
    docs_url="https://developers.snap.com/api/marketing-api/Conversions-API",
)
