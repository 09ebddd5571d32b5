"""Conversion events for the ad destinations' tests: realistic Segment events that carry
`context.eventyard.conversion` as the pipeline adds it (built by `build_conversion`), with
the conversion's top-level keys overridable."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from eventyard.conversions.click_ids import capture
from eventyard.conversions.consent import ConsentState
from eventyard.conversions.enrich import build_conversion
from eventyard.testing import make_event

__all__ = [
    "BROWSER",
    "CUSTOMER_HASHES",
    "UA",
    "arrays",
    "conversion_event",
    "segment_event",
    "sha",
]

UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


CUSTOMER_HASHES = {
    "em": sha("john_smith@gmail.com"),
    "ph": sha("16505551212"),
    "fn": sha("john"),
    "ln": sha("smith"),
    "ge": sha("m"),
    "db": sha("19900517"),
    "ct": sha("menlopark"),
    "st": sha("ca"),
    "zp": sha("94025"),
    "country": sha("us"),
    "external_id": sha("user1234"),
}
"""`segment_event`'s user as Meta's customer information parameters (Snap and Pinterest take
the same): each value normalized by hand to the documented literal, then hashed."""
BROWSER = {"client_ip_address": "203.0.113.7", "client_user_agent": UA}
"""`segment_event`'s IP and user agent under those parameters' names, never hashed."""


def arrays(values: dict[str, str], *keys: str) -> dict[str, list[str]]:
    """`values` (only `keys`, if given) each as a one-item array."""
    return {key: [value] for key, value in values.items() if not keys or key in keys}


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
