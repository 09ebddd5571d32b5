"""Each platform's standard event for a canonical conversion, as one table (conversions.md §0).

Meta defined these names and TikTok took them over (its Sept 2025 list says `Purchase`, no
longer `CompletePayment`); Snap spells them in upper case, Pinterest in lower case. `None`: the
platform has no standard event for it, so the user maps `event_name` to send a custom one
(no platform here subtracts a refund; Snap v3 has no LEAD or CONTACT, only CUSTOM_EVENT_1..5).
GA4's recommended events are the canonical names themselves, Google Ads has no event names and
Reddit's tracking types fall back to custom events, so those three keep their rule at home.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Platform", "standard_events"]

Platform = Literal["meta", "tiktok", "snap", "pinterest"]
_COLUMNS: dict[Platform, int] = {"meta": 1, "tiktok": 1, "snap": 2, "pinterest": 3}

# fmt: off
_TABLE: tuple[tuple[str, str | None, str | None, str | None], ...] = (
    # canonical          Meta and TikTok          Snap                Pinterest
    ("purchase",         "Purchase",              "PURCHASE",         "checkout"),
    ("refund",           None,                    None,               None),
    ("add_to_cart",      "AddToCart",             "ADD_CART",         "add_to_cart"),
    ("begin_checkout",   "InitiateCheckout",      "START_CHECKOUT",   "initiate_checkout"),
    ("view_item",        "ViewContent",           "VIEW_CONTENT",     "view_content"),
    ("add_payment_info", "AddPaymentInfo",        "ADD_BILLING",      "add_payment_info"),
    ("lead",             "Lead",                  None,               "lead"),
    ("sign_up",          "CompleteRegistration",  "SIGN_UP",          "signup"),
    ("subscribe",        "Subscribe",             "SUBSCRIBE",        "subscribe"),
    ("start_trial",      "StartTrial",            "START_TRIAL",      "start_trial"),
    ("search",           "Search",                "SEARCH",           "search"),
    ("add_to_wishlist",  "AddToWishlist",         "ADD_TO_WISHLIST",  "add_to_wishlist"),
    ("contact",          "Contact",               None,               "contact"),
    ("page_view",        "PageView",              "PAGE_VIEW",        "page_visit"),
)
# fmt: on


def standard_events(platform: Platform) -> dict[str, str]:
    """Canonical name -> the platform's standard event, for the events it has one for."""
    column = _COLUMNS[platform]
    return {row[0]: name for row in _TABLE if (name := row[column]) is not None}
