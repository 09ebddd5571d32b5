"""Pinterest Conversions API (v5): web, app and offline conversions for an ad account.

Sources (conversions.md §6): pinterest/api-description v5/openapi.yaml
(`/ad_accounts/{ad_account_id}/events`, ConversionEvents, ConversionApiResponse),
developers.pinterest.com/docs/conversions. `POST https://api.pinterest.com/v5/ad_accounts/
{ad_account_id}/events` with `Authorization: Bearer <conversion token>` and `{"data": [...]}`;
`?test=true` validates without recording (test_connection sends one page visit so).
Rate limit: 5,000 calls a minute per ad account.
"""

from __future__ import annotations

from functools import partial

from msgspec.structs import replace

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.ads.probe import probe_connection
from eventyard.destinations.pinterest_conversions_api.events import CONVERSION
from eventyard.destinations.pinterest_conversions_api.send import send_conversion
from eventyard.destinations.pinterest_conversions_api.settings import PinterestSettings

__all__ = ["CONVERSION", "PinterestSettings", "definition"]


definition = ad_destination(
    "pinterest-conversions-api",
    "Pinterest Conversions API",
    catalog_names=("Pinterest Conversions API",),
    settings=PinterestSettings,
    actions={"send_conversion": send_conversion},
    conversion=CONVERSION,
    test_connection=probe_connection(send_conversion, partial(replace, test_mode=True)),
    description="Checkouts, leads and sign-ups sent to Pinterest, deduplicated with the tag.",
    docs_url="https://developers.pinterest.com/docs/conversions/conversions/",
)
