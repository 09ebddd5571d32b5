"""Conversion events for the ad destinations' tests: realistic Segment events that carry
`context.eventyard.conversion` as the pipeline adds it (built by `build_conversion`), with
the conversion's top-level keys overridable."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from eventyard.conversions.click_ids import capture
from eventyard.conversions.consent import ConsentState
from eventyard.conversions.enrich import build_conversion
from eventyard.testing import make_event

__all__ = ["UA", "conversion_event", "segment_event"]

UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"


def segment_event(
    event: str = "Order Completed", message_id: str = "test-message-0001"
) -> dict[str, Any]:
    """An Order Completed from a shop's browser, one minute ago, with traits, landing-page
    click ids, ad cookies and Advertising consent."""
    when = datetime.fromtimestamp(time.time() - 60, UTC).isoformat().replace("+00:00", "Z")
    made = make_event(
        event=event,
        messageId=message_id,
        timestamp=when,
        properties={
            "order_id": "1001",
            "revenue": 129.9,
            "currency": "USD",
            "products": [
                {
                    "product_id": "SKU-1",
                    "name": "Trail Shoe",
                    "category": "Shoes",
                    "brand": "Acme",
                    "quantity": 1,
                    "price": 129.9,
                }
            ],
        },
    )
    made["context"] |= {
        "ip": "203.0.113.7",
        "userAgent": UA,
        "page": {
            "url": "https://shop.example/thanks",
            "search": "?ScCid=sc-click-1&epik=dj0yJnU9epik&ttclid=E.C.P.v3ttclid",
            "referrer": "https://www.example.com/",
        },
        "traits": {
            "email": " John_Smith@gmail.com ",
            "phone": "(650)555-1212",
            "firstName": "John",
            "lastName": "Smith",
            "gender": "Male",
            "birthday": "1990-05-17",
            "address": {
                "city": "Menlo Park",
                "state": "California",
                "postalCode": "94025-1234",
                "country": "US",
            },
        },
        "_fbc": "fb.1.1767225000000.IwAR2F4abc",
        "_fbp": "fb.1.1767000000000.1098115397",
        "_ttp": "2Ttp-cookie",
        "_scid": "scid-cookie-1",
        "consent": {"categoryPreferences": {"Advertising": True}},
        "location": {"country": "US", "region": "CA"},
    }
    return made


def conversion_event(
    event: str = "Order Completed", message_id: str = "test-message-0001", **overrides: Any
) -> dict[str, Any]:
    """`segment_event` carrying its conversion (a purchase), with top-level keys of the
    conversion replaced by `overrides` (None removes one)."""
    made = segment_event(event, message_id)
    conversion = build_conversion(
        made, "purchase", capture(made), ConsentState.from_event(made), limited=False
    )
    for key, value in overrides.items():
        if value is None:
            conversion.pop(key, None)
        else:
            conversion[key] = value
    made["context"]["eventyard"] = {"conversion": conversion}
    return made
