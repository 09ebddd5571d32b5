"""What GA4 and Google Ads share: Consent Mode v2 signals and Google's user-provided data rules.

Consent: `limited_data_use` (the user denied the destination's category and its
consent_fallback is `limited`) and a refused `Advertising` category deny both signals, whatever
the event said: Google then keeps the conversion for measurement without using it for ads
personalization or user-data matching, and no user-provided data is sent.

User-provided data (developers.google.com/analytics/devguides/collection/protocol/ga4/uid-data,
google-ads/api/docs/conversions/enhanced-conversions): emails trimmed, lowercased, dots dropped
in gmail addresses, and phones in E.164 with `+`, both hashed, several of each; an address with
hashed first and last names and a plain city, region, postal code and country. Each API names
the keys its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from eventyard.conversions import identity
from eventyard.destinations.ads.conversion import limited
from eventyard.destinations.ads.identifiers import (
    PHONE_E164,
    ZIP,
    Identifier,
    Normalize,
    hashed,
    plain,
)

__all__ = [
    "SIGNALS",
    "Signal",
    "address",
    "consent_signals",
    "user_data_allowed",
    "user_identifiers",
]

Signal = Literal["GRANTED", "DENIED"]
SIGNALS = ("ad_user_data", "ad_personalization")


def _advertising_denied(consent: Mapping[str, Any]) -> bool:
    """Whether the user refused the `Advertising` category (any case): GA4 is gated by
    Analytics consent, so without this a user who refused advertising would still have their
    hashed email and phone sent to Google for ad matching."""
    categories = consent.get("categories")
    if not isinstance(categories, Mapping):
        return False
    return any(
        isinstance(name, str) and name.casefold() == "advertising" and granted is False
        for name, granted in categories.items()
    )


def consent_signals(conversion: Mapping[str, Any]) -> dict[str, Signal]:
    """`{"ad_user_data": ..., "ad_personalization": ...}` for the signals that are known."""
    consent = conversion.get("consent")
    given = consent if isinstance(consent, Mapping) else {}
    if limited(conversion) or _advertising_denied(given):
        return dict.fromkeys(SIGNALS, "DENIED")
    signals: dict[str, Signal] = {}
    for key in SIGNALS:
        if isinstance(given.get(key), bool):
            signals[key] = "GRANTED" if given[key] else "DENIED"
    return signals


def user_data_allowed(conversion: Mapping[str, Any]) -> bool:
    """Hashed identifiers go to Google unless ad_user_data is denied (or the mode is limited)."""
    return consent_signals(conversion).get("ad_user_data") != "DENIED"


def user_identifiers(email: str, phone: str) -> tuple[Identifier, ...]:
    """The hashed email and phone numbers, under the API's keys."""
    return (
        hashed(email, "user.email", identity.email_google, many=True),
        hashed(phone, "user.phone", PHONE_E164, many=True),
    )


def address(
    first_name: str,
    last_name: str,
    city: str,
    region: str,
    postal_code: str,
    country: str,
    country_code: Normalize = identity.country,
) -> tuple[Identifier, ...]:
    """The address, under the API's keys; `country_code` writes the alpha-2 code its way."""
    return (
        hashed(first_name, "user.first_name", identity.name),
        hashed(last_name, "user.last_name", identity.name),
        plain(city, "user.city", identity.name),
        plain(region, "user.state", identity.state),
        Identifier(postal_code, "user.zip", ZIP),
        plain(country, "user.country", country_code),
    )
