"""Google Ads: offline click conversions, conversion adjustments (refunds) and enhanced
conversions through the Google Ads API (REST).

Sources (developers.google.com/google-ads/api: ConversionUploadService, ConversionAdjustment
UploadService, ClickConversion, ConversionAdjustment, Consent, partial failures, quotas, OAuth;
conversions.md §3):
- POST https://googleads.googleapis.com/{version}/customers/{id}:uploadClickConversions
  (`{conversions, partialFailure: true, validateOnly}`) and :uploadConversionAdjustments
  (`{conversionAdjustments, ...}`); headers `Authorization: Bearer <OAuth token>`,
  `developer-token`, `login-customer-id` through a manager account.
- Up to 2000 rows per request; per-row failures come back in `partialFailureError`.
- Google has no standard event names: each canonical conversion uploads to the conversion
  action the user configures for it, so by default exactly the events named in
  `conversion_actions` are sent (and refunds, when `purchase` is); deduplication is by order
  id per action.
- Consent: `consent.adUserData` (denied: no user identifiers are sent).
"""

from __future__ import annotations

import httpx
import orjson

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.ads.sending import json_object
from eventyard.destinations.google_ads.actions import (
    upload_click_conversion,
    upload_conversion_adjustment,
)
from eventyard.destinations.google_ads.oauth import post
from eventyard.destinations.google_ads.results import check_request
from eventyard.destinations.google_ads.rows import CONVERSION
from eventyard.destinations.google_ads.settings import GoogleAdsSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "GoogleAdsSettings", "definition"]


async def _test_connection(client: httpx.AsyncClient, settings: GoogleAdsSettings) -> None:
    """Looks up the configured conversion actions: checks the credentials, the access to the
    customer (and manager) and that every action exists and is not removed."""
    ids = sorted(set(settings.conversion_actions.values()))
    query = (
        "SELECT conversion_action.id, conversion_action.name, conversion_action.status "
        f"FROM conversion_action WHERE conversion_action.id IN ({', '.join(ids)})"
    )
    response = await post(client, settings, "/googleAds:search", orjson.dumps({"query": query}))
    check_request(response)
    results = json_object(response).get("results")
    found = {
        str(row["conversionAction"].get("id")): row["conversionAction"].get("status")
        for row in (results if isinstance(results, list) else [])
        if isinstance(row, dict) and isinstance(row.get("conversionAction"), dict)
    }
    problems = [
        f"{name} -> {action} ({'not found' if action not in found else 'removed'})"
        for name, action in sorted(settings.conversion_actions.items())
        if found.get(action, "REMOVED") == "REMOVED"
    ]
    if problems:
        raise TerminalError(
            f"conversion actions missing in customer {settings.customer_id}: "
            f"{'; '.join(problems)}; check conversion_actions (Goals → Conversions)"
        )


definition = ad_destination(
    "google-ads",
    "Google Ads Conversions",
    catalog_names=("Google Ads Conversions",),
    settings=GoogleAdsSettings,
    actions={
        "upload_click_conversion": upload_click_conversion,
        "upload_conversion_adjustment": upload_conversion_adjustment,
    },
    conversion=CONVERSION,
    test_connection=_test_connection,
    description="Offline click conversions, enhanced conversions and refund adjustments.",
    docs_url="https://developers.google.com/google-ads/api/docs/conversions/overview",
)
