"""One mapped payload as a ClickConversion or a ConversionAdjustment (REST JSON, camelCase).

Google's rules (conversions.md §3; ClickConversion, ConversionAdjustment, UserIdentifier,
OfflineUserAddressInfo references): at most one of gclid / gbraid / wbraid, or user
identifiers alone (enhanced conversions for leads); click conversions take only hashed email
and phone, at most 5; adjustments find their conversion by order id; RETRACTION carries no
value, RESTATEMENT the order's new total; ENHANCEMENT adds identifiers, incl. an address with
hashed names and plain city/state/postal code/country. Date-times are
`yyyy-mm-dd hh:mm:ss+00:00`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.conversions.identity import country
from eventyard.conversions.reading import number
from eventyard.destinations.ads.conversion import currency, text, value
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.google import (
    address,
    consent_signals,
    user_data_allowed,
    user_identifiers,
)
from eventyard.destinations.ads.identifiers import ip_address, user_data
from eventyard.destinations.ads.timing import checked_time
from eventyard.destinations.google_ads.settings import GoogleAdsSettings
from eventyard.errors import TerminalError

__all__ = [
    "ADJUSTMENT_MAX_AGE",
    "CLICK_KEYS",
    "CONVERSION",
    "MAX_AGE",
    "adjustment",
    "click_conversion",
    "google_time",
    "identifiers",
]

MAX_AGE = 90 * 86400.0
"""A click conversion must fall within its action's click-through window, at most 90 days."""
ADJUSTMENT_MAX_AGE = 54 * 86400.0
"""Conversions older than 54 days cannot be adjusted (CONVERSION_EXPIRED)."""
CLICK_KEYS = ("gclid", "gbraid", "wbraid")
_MAX_IDENTIFIERS = 5
_ACTION_ID = re.compile(r"\d{1,20}")


def _uploadable(settings: GoogleAdsSettings) -> frozenset[str]:
    """The events with a conversion action to upload to (refunds adjust the purchase one)."""
    names = frozenset(settings.conversion_actions)
    return names | {"refund"} if "purchase" in names else names


CONVERSION = conversion_spec(
    "google_ads",
    CANONICAL_NAMES,
    # A click id ties the conversion to the ad click deterministically (gclid; gbraid/wbraid
    # for iOS app and web measurement); without one, enhanced conversions match hashed email,
    # then phone (click conversions take only those two), and adjustments add name and
    # address. IP helps attribution where Google may use it. Weights follow that order.
    weights={
        4: "gclid",
        3: "gbraid wbraid email",
        2: "phone",
        0.5: "first_name last_name ip",
        0.25: "city state zip country",
    },
    # A conversion is attributable with a click id, or (enhanced conversions for leads)
    # a hashed email or phone.
    minimum=("gclid", "gbraid", "wbraid", "email", "phone"),
    max_age=MAX_AGE,
    settings_events=_uploadable,
)


def _upper_country(raw: str) -> str | None:
    code = country(raw)
    return code.upper() if code else None


_IDENTIFIERS = user_identifiers("hashedEmail", "hashedPhoneNumber")
_ADDRESS = address(
    "hashedFirstName",
    "hashedLastName",
    "city",
    "state",
    "postalCode",
    "countryCode",
    _upper_country,
)


def google_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def identifiers(conversion: Mapping[str, Any], address: bool) -> list[dict[str, Any]]:
    """UserIdentifiers, at most 5; none when the user denied ad_user_data (or limited mode)."""
    if not user_data_allowed(conversion):
        return []
    found: list[dict[str, Any]] = [
        {key: one}
        for key, values in user_data(conversion, _IDENTIFIERS).items()
        for one in (values if isinstance(values, list) else [values])
    ]
    if address and (info := user_data(conversion, _ADDRESS)):
        found.append({"addressInfo": info})
    return found[:_MAX_IDENTIFIERS]


def _action(settings: GoogleAdsSettings, payload: Mapping[str, Any], canonical: str) -> str:
    chosen = text(payload.get("conversion_action")) or settings.conversion_actions.get(canonical)
    if chosen is None:
        raise TerminalError(
            f"no Google Ads conversion action for {canonical!r}: add it to conversion_actions "
            f"in the settings ({canonical}: '<id>'), or leave it out of conversion_events"
        )
    if not _ACTION_ID.fullmatch(chosen):
        raise TerminalError(f"conversion_action {chosen!r} must be a numeric conversion action id")
    return settings.action_resource(chosen)


def _consent(conversion: Mapping[str, Any]) -> dict[str, str]:
    # Consent reference: adPersonalization is only for customer match and user data uploads
    signal = consent_signals(conversion).get("ad_user_data")
    return {"adUserData": signal} if signal else {}


def click_conversion(settings: GoogleAdsSettings, payload: Mapping[str, Any]) -> dict[str, Any]:
    conversion = payload["conversion"]
    when = checked_time(conversion, MAX_AGE, "Google Ads")
    row: dict[str, Any] = {
        "conversionAction": _action(settings, payload, str(conversion.get("name"))),
        "conversionDateTime": google_time(when),
    }
    click = next(((k, v) for k in CLICK_KEYS if (v := text(payload.get(k)))), None)
    people = identifiers(conversion, address=False)
    if click is None and not people:
        raise TerminalError(
            "Google Ads needs a click id (gclid, gbraid or wbraid from the ad's landing URL) or "
            "the user's email or phone (enhanced conversions for leads); this conversion has "
            "none (Google Ads does not match on a userId or anonymousId alone)"
        )
    if click is not None:
        row[click[0]] = click[1]
    if people:
        row["userIdentifiers"] = people
    if (amount := value(conversion)) is not None:
        row["conversionValue"] = amount
        if (code := currency(conversion)) is not None:
            row["currencyCode"] = code
    if (order := text(payload.get("order_id"))) is not None:
        row["orderId"] = order
    if user_data_allowed(conversion) and (ip := ip_address(text(conversion.get("ip")) or "")):
        row["userIpAddress"] = ip
    if consent := _consent(conversion):
        row["consent"] = consent
    return row


def _kind(payload: Mapping[str, Any], canonical: str) -> str:
    chosen = text(payload.get("adjustment_type"))
    if chosen is not None:
        return chosen
    if canonical != "refund":
        return "ENHANCEMENT"
    return "RESTATEMENT" if number(payload.get("adjusted_value")) is not None else "RETRACTION"


def adjustment(settings: GoogleAdsSettings, payload: Mapping[str, Any]) -> dict[str, Any]:
    conversion = payload["conversion"]
    when = checked_time(conversion, ADJUSTMENT_MAX_AGE, "Google Ads")
    canonical = str(conversion.get("name"))
    order = text(payload.get("order_id"))
    if order is None:
        raise TerminalError(
            f"Google Ads finds the conversion to adjust by its order id and this {canonical} "
            "has none; send properties.order_id"
        )
    kind = _kind(payload, canonical)
    adjusted = "purchase" if canonical == "refund" else canonical
    row: dict[str, Any] = {
        "conversionAction": _action(settings, payload, adjusted),
        "adjustmentType": kind,
        "orderId": order,
    }
    if kind != "ENHANCEMENT":
        row["adjustmentDateTime"] = google_time(when)
    if kind == "RESTATEMENT":
        row["restatementValue"] = _restated(payload, conversion)
    if kind == "ENHANCEMENT":
        row["userIdentifiers"] = identifiers(conversion, address=True)
        if not row["userIdentifiers"]:
            raise TerminalError(
                "an enhancement adds the user's email, phone or address and this conversion "
                "has none (or the user denied ad_user_data)"
            )
        if agent := text(conversion.get("user_agent")):
            row["userAgent"] = agent
    return row


def _restated(payload: Mapping[str, Any], conversion: Mapping[str, Any]) -> dict[str, Any]:
    adjusted = number(payload.get("adjusted_value"))
    if adjusted is None or adjusted < 0:
        raise TerminalError(
            "a RESTATEMENT needs the order's value after the partial refund: map adjusted_value"
        )
    restated: dict[str, Any] = {"adjustedValue": adjusted}
    if (code := currency(conversion)) is not None:
        restated["currencyCode"] = code
    return restated
