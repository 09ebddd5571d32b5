"""Canonical conversion names: one vocabulary between Segment event names and ad platforms.

Sites name events after Segment's Ecommerce Spec (`Order Completed`) or their own habits; each
ad destination maps a canonical name (`purchase`) to its platform's (`Purchase`, `checkout`,
`PURCHASE`), so the mapping from site names happens once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CANONICAL_NAMES",
    "DEFAULT_ALIASES",
    "LEAD_EVENTS",
    "ORDER_EVENTS",
    "REVENUE_EVENTS",
    "canonical_name",
]

CANONICAL_NAMES = frozenset(
    {
        "purchase",
        "refund",
        "add_to_cart",
        "begin_checkout",
        "view_item",
        "add_payment_info",
        "lead",
        "sign_up",
        "subscribe",
        "start_trial",
        "search",
        "add_to_wishlist",
        "contact",
        "page_view",
    }
)
REVENUE_EVENTS = frozenset({"purchase", "refund", "subscribe"})
"""Events whose value is money the platforms book as conversion value."""
LEAD_EVENTS = frozenset({"lead", "sign_up", "start_trial", "contact"})
"""Events that make someone a prospect; with REVENUE_EVENTS, what ad destinations send."""
ORDER_EVENTS = frozenset({"purchase", "refund"})
"""Events whose `order_id` identifies the business event itself (so it gives the event_id)."""

DEFAULT_ALIASES: Mapping[str, str] = {
    # Segment Ecommerce Spec v2 (and the v1 name of Order Completed)
    "Order Completed": "purchase",
    "Completed Order": "purchase",
    "Order Refunded": "refund",
    "Product Added": "add_to_cart",
    "Wishlist Product Added to Cart": "add_to_cart",
    "Checkout Started": "begin_checkout",
    "Product Viewed": "view_item",
    "Payment Info Entered": "add_payment_info",
    "Products Searched": "search",
    "Product Added to Wishlist": "add_to_wishlist",
    # Segment B2B SaaS Spec
    "Signed Up": "sign_up",
    "Trial Started": "start_trial",
    # Common names outside the Specs (Segment's ad-destination presets use the lead ones)
    "Lead Generated": "lead",
    "Generate Lead": "lead",
    "Form Submitted": "lead",
    "Subscription Started": "subscribe",
}
_DEFAULT_FOLDED = {key.casefold(): value for key, value in DEFAULT_ALIASES.items()}


def _lookup(name: str, aliases: Mapping[str, str]) -> str | None:
    exact = aliases.get(name)
    if exact is not None:
        return exact
    folded = name.casefold()
    for key, value in aliases.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def canonical_name(event: Mapping[str, Any], aliases: Mapping[str, str]) -> str | None:
    """The canonical name of a track or page event, or None when it is no conversion.

    The user's `conversions.aliases` win over the Spec defaults; each is matched exactly on the
    event name, then case-insensitively; a canonical name (`purchase`) is accepted as itself.
    Page calls are `page_view`. An alias to an unknown name makes the event no conversion.
    """
    kind = event.get("type")
    if kind == "page":
        return "page_view"
    name = event.get("event")
    if kind != "track" or not isinstance(name, str) or not name:
        return None
    found = _lookup(name, aliases)
    if found is None:
        found = DEFAULT_ALIASES.get(name) or _DEFAULT_FOLDED.get(name.casefold())
    if found is None:
        found = name.casefold()
    return found if found in CANONICAL_NAMES else None
