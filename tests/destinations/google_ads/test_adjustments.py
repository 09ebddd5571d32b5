"""upload_conversion_adjustment against the local Google Ads API: refunds as RETRACTION or
RESTATEMENT of the purchase, enhancements of tag conversions, and their errors."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads.events import conversion_event, sha
from destinations.harness import Harness
from eventyard.destinations.google_ads.rows import google_time
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent
from fakes.google_ads import GoogleAdsFake

ACTION = "upload_conversion_adjustment"
PURCHASE_ACTION = "customers/1234567890/conversionActions/111"


def refund(**overrides: Any) -> dict[str, Any]:
    return conversion_event(
        "Order Refunded",
        "refund-message",
        **{"name": "refund", "event_id": "refund:1001", "linked_event_id": "purchase:1001"},
        **overrides,
    )


def _rows(fake: GoogleAdsFake) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = orjson.loads(fake.requests[-1].body)["conversionAdjustments"]
    return rows


@pytest.fixture
async def purchased(fake: GoogleAdsFake, harness: Harness) -> None:
    """Order 1001 was uploaded as a click conversion."""
    event = conversion_event(click_ids={"gclid": "Cj0-gclid"})
    await harness().perform("upload_click_conversion", event)
    assert len(fake.conversions) == 1


@pytest.mark.usefixtures("purchased")
async def test_a_refund_retracts_the_purchase(fake: GoogleAdsFake, harness: Harness) -> None:
    event = refund()
    when = event["context"]["eventyard"]["conversion"]["timestamp"]
    await harness().perform(ACTION, event)
    request = fake.requests[-1]
    assert request.path == "/v26/customers/1234567890:uploadConversionAdjustments"
    assert orjson.loads(request.body) == {
        "conversionAdjustments": [
            {
                "conversionAction": PURCHASE_ACTION,
                "adjustmentType": "RETRACTION",
                "orderId": "1001",
                "adjustmentDateTime": google_time(when),
            }
        ],
        "partialFailure": True,
    }
    assert [a["adjustmentType"] for a in fake.adjustments] == ["RETRACTION"]


@pytest.mark.usefixtures("purchased")
async def test_a_partial_refund_restates_the_new_total(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    event = refund(value=30.0)
    event["properties"] = {"order_id": "1001", "remaining": 99.9}
    await harness().perform(ACTION, event, {"adjusted_value": {"@path": "$.properties.remaining"}})
    (row,) = _rows(fake)
    assert row["adjustmentType"] == "RESTATEMENT"
    assert row["restatementValue"] == {"adjustedValue": 99.9, "currencyCode": "USD"}
    assert len(fake.adjustments) == 1


@pytest.mark.usefixtures("purchased")
async def test_a_second_retraction_counts_as_delivered(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    await harness().perform(ACTION, refund())
    await harness().perform(ACTION, refund(timestamp=time.time() - 30))  # ALREADY_RETRACTED
    assert len(fake.adjustments) == 1 and len(fake.requests) == 3


async def test_refunding_an_unknown_order_is_terminal(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    with pytest.raises(TerminalError, match="CONVERSION_NOT_FOUND"):
        await harness().perform(ACTION, refund())
    assert fake.adjustments == []


@pytest.mark.parametrize(
    ("overrides", "mapping", "message"),
    [
        ({"order_id": None}, None, "has none; send properties.order_id"),
        ({}, {"adjustment_type": "RESTATEMENT"}, "map adjusted_value"),
        ({}, {"adjustment_type": "RESTATEMENT", "adjusted_value": -5}, "map adjusted_value"),
        ({"timestamp": time.time() - 55 * 86400}, None, "older than 54 days"),
    ],
)
async def test_adjustments_google_would_refuse(
    fake: GoogleAdsFake,
    harness: Harness,
    overrides: dict[str, Any],
    mapping: dict[str, Any] | None,
    message: str,
) -> None:
    with pytest.raises(TerminalError, match=message):
        await harness().perform(ACTION, refund(**overrides), mapping)
    assert fake.requests == []


def test_only_refunds_are_adjusted_by_default(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload(ACTION, conversion_event())


async def test_an_enhancement_adds_hashed_user_data_to_a_tag_conversion(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    fake.tag_orders.add("1001")
    subscription = 'context.eventyard.conversion.name = "purchase"'
    mapping = {"adjustment_type": "ENHANCEMENT"}
    await harness().perform(ACTION, conversion_event(), mapping, subscription)
    (row,) = _rows(fake)
    assert row == {
        "conversionAction": PURCHASE_ACTION,
        "adjustmentType": "ENHANCEMENT",
        "orderId": "1001",
        "userIdentifiers": [
            {"hashedEmail": sha("john_smith@gmail.com")},
            {"hashedPhoneNumber": sha("+16505551212")},
            {
                "addressInfo": {
                    "hashedFirstName": sha("john"),
                    "hashedLastName": sha("smith"),
                    "city": "menlo park",
                    "state": "ca",
                    "postalCode": "94025",
                    "countryCode": "US",
                }
            },
        ],
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
    }
    assert len(fake.adjustments) == 1


async def test_an_enhancement_without_user_data_is_terminal(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    subscription = 'context.eventyard.conversion.name = "purchase"'
    event = conversion_event(consent={"ad_user_data": False})
    with pytest.raises(TerminalError, match="denied ad_user_data"):
        await harness().perform(ACTION, event, {"adjustment_type": "ENHANCEMENT"}, subscription)
    assert fake.requests == []


@pytest.mark.usefixtures("purchased")
async def test_too_recent_actions_are_parked_for_6_hours(
    fake: GoogleAdsFake, harness: Harness
) -> None:
    fake.row_errors["1001"] = {"conversionAdjustmentUploadError": "TOO_RECENT_CONVERSION_ACTION"}
    with pytest.raises(TransientError, match="retrying in 6 hours") as caught:
        await harness().perform(ACTION, refund())
    assert caught.value.retry_after == 21600
    await harness().perform(ACTION, refund())
    assert len(fake.adjustments) == 1
