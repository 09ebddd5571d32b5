"""Google Consent Mode v2 signals from the conversion object (GA4 and Google Ads send them).

`limited_data_use` (the user denied the destination's category and its consent_fallback is
`limited`) denies both signals, whatever the event said: Google then keeps the conversion for
measurement without using it for ads personalization or user-data matching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from eventyard.destinations.ads.conversion import limited

__all__ = ["SIGNALS", "Signal", "consent_signals", "user_data_allowed"]

Signal = Literal["GRANTED", "DENIED"]
SIGNALS = ("ad_user_data", "ad_personalization")


def consent_signals(conversion: Mapping[str, Any]) -> dict[str, Signal]:
    """`{"ad_user_data": ..., "ad_personalization": ...}` for the signals that are known."""
    if limited(conversion):
        return dict.fromkeys(SIGNALS, "DENIED")
    consent = conversion.get("consent")
    given = consent if isinstance(consent, Mapping) else {}
    signals: dict[str, Signal] = {}
    for key in SIGNALS:
        if isinstance(given.get(key), bool):
            signals[key] = "GRANTED" if given[key] else "DENIED"
    return signals


def user_data_allowed(conversion: Mapping[str, Any]) -> bool:
    """Hashed identifiers go to Google unless ad_user_data is denied (or the mode is limited)."""
    return consent_signals(conversion).get("ad_user_data") != "DENIED"
