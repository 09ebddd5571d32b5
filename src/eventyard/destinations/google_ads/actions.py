"""upload_click_conversion and upload_conversion_adjustment: up to 2000 rows per request.

Refunds go to the adjustment action (RETRACTION, or RESTATEMENT when adjusted_value is
mapped); every other conversion to the click conversion action. An enhancement of a
conversion the Google tag recorded is the adjustment action with adjustment_type ENHANCEMENT
subscribed to that event.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import orjson

from eventyard.destinations.ads.conversion import CONVERSION_PATH, conversion_fields
from eventyard.destinations.ads.sending import (
    Results,
    batched_action,
    deliver,
    envelope,
    json_object,
)
from eventyard.destinations.base import BatchLimits, BatchResult, PerformBatch
from eventyard.destinations.common import text
from eventyard.destinations.google_ads.oauth import post
from eventyard.destinations.google_ads.results import check_request, row_results
from eventyard.destinations.google_ads.rows import CLICK_KEYS, adjustment, click_conversion
from eventyard.destinations.google_ads.settings import GoogleAdsSettings
from eventyard.mapping.fields import FieldSpec

__all__ = ["MAX_ROWS", "upload_click_conversion", "upload_conversion_adjustment"]

MAX_ROWS = 2000
"""More rows fail the whole request (TOO_MANY_CONVERSIONS_IN_REQUEST)."""
_LIMITS = BatchLimits(MAX_ROWS)
_REFUND = 'context.eventyard.conversion.name = "refund"'

_COMMON: dict[str, FieldSpec] = {
    "conversion": conversion_fields(None)["conversion"],
    "conversion_action": text(
        "Conversion Action ID",
        description="Default: the settings' conversion_actions entry for the conversion's "
        "canonical name (refunds: the purchase action).",
    ),
    "order_id": text(
        "Order ID",
        f"{CONVERSION_PATH}.order_id",
        "Google deduplicates conversions by order id per action, and adjustments find "
        "their conversion by it.",
    ),
}
CLICK_FIELDS: dict[str, FieldSpec] = {
    **_COMMON,
    **{key: text(key.upper(), f"{CONVERSION_PATH}.click_ids.{key}") for key in CLICK_KEYS},
}
ADJUSTMENT_FIELDS: dict[str, FieldSpec] = {
    **_COMMON,
    "adjustment_type": FieldSpec(
        "Adjustment Type",
        "string",
        choices=("RETRACTION", "RESTATEMENT", "ENHANCEMENT"),
        description="Default: refunds RETRACTION (RESTATEMENT when adjusted_value is set), "
        "other conversions ENHANCEMENT.",
    ),
    "adjusted_value": FieldSpec(
        "Adjusted Value",
        "number",
        description="After a partial refund, the order's new total (100 refunded by 30: 70); "
        "leave it unmapped for full refunds.",
    ),
}


async def _upload(
    method: str,
    key: str,
    client: httpx.AsyncClient,
    settings: GoogleAdsSettings,
    rows: list[bytes],
) -> Results:
    body = envelope(key, rows, partialFailure=True, validateOnly=settings.validate_only or None)
    response = await post(client, settings, f":{method}", body)
    check_request(response)
    has_click = [any(k in orjson.loads(row) for k in CLICK_KEYS) for row in rows]
    return row_results(json_object(response), has_click)


def _perform_batch(
    build: Callable[[GoogleAdsSettings, dict[str, Any]], dict[str, Any]], method: str, key: str
) -> PerformBatch:
    async def perform_batch(
        client: httpx.AsyncClient, settings: GoogleAdsSettings, payloads: list[dict[str, Any]]
    ) -> BatchResult:
        send = partial(_upload, method, key, client, settings)
        return await deliver(payloads, partial(build, settings), send, _LIMITS)

    return perform_batch


upload_click_conversion = batched_action(
    _perform_batch(click_conversion, "uploadClickConversions", "conversions"),
    _LIMITS,
    CLICK_FIELDS,
    "Upload an offline click conversion (gclid, gbraid or wbraid), or an enhanced conversion "
    "for leads (hashed email and phone) to the event's conversion action.",
    title="Upload Click Conversion",
    subscription=f'type = "track" and not ({_REFUND})',
)
upload_conversion_adjustment = batched_action(
    _perform_batch(adjustment, "uploadConversionAdjustments", "conversionAdjustments"),
    _LIMITS,
    ADJUSTMENT_FIELDS,
    "Retract (full refund) or restate (partial refund) the purchase with the same order id, "
    "or enhance a tag conversion with hashed user data.",
    title="Upload Conversion Adjustment",
    subscription=f'type = "track" and {_REFUND}',
)
