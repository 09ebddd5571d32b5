"""Google's consent signals and user-provided data, for GA4 and Google Ads."""

from __future__ import annotations

from typing import Any

import pytest

from destinations.ads.events import sha
from eventyard.destinations.ads.google import (
    address,
    consent_signals,
    user_data_allowed,
    user_identifiers,
)
from eventyard.destinations.ads.identifiers import user_data


@pytest.mark.parametrize(
    ("conversion", "signals", "allowed"),
    [
        ({"consent": {"ad_user_data": True, "ad_personalization": False}}, "GD", True),
        ({"consent": {"ad_user_data": False}}, "D", False),
        ({"consent": {"ad_user_data": "yes"}}, "", True),
        ({"consent": "garbage"}, "", True),
        ({"consent": {"ad_user_data": True}, "limited_data_use": True}, "DD", False),
        # a refused Advertising category means no user data, whatever the Google signals say
        ({"consent": {"categories": {"Advertising": False}, "ad_user_data": True}}, "DD", False),
        ({"consent": {"categories": {"advertising": False, "Analytics": True}}}, "DD", False),
        ({"consent": {"categories": {"Advertising": True, "Analytics": False}}}, "", True),
    ],
)
def test_consent_signals(conversion: dict[str, Any], signals: str, allowed: bool) -> None:
    words = {"G": "GRANTED", "D": "DENIED"}
    found = consent_signals(conversion)
    assert [words[s] for s in signals] == list(found.values())
    assert user_data_allowed(conversion) is allowed


def test_identifiers_under_each_apis_keys() -> None:
    user = {"email": "John.Smith@Gmail.com", "phone": "(650)555-1212", "country": "US"}
    conversion = {"user": user | {"first_name": "John", "city": "Menlo Park", "zip": "94025"}}
    assert user_data(conversion, user_identifiers("e", "p")) == {
        "e": [sha("johnsmith@gmail.com")],
        "p": [sha("+16505551212")],
    }
    table = address("f", "l", "c", "r", "z", "cc", country_code=str.upper)
    assert user_data(conversion, table) == {
        "f": sha("john"),
        "c": "menlo park",
        "z": "94025",
        "cc": "US",
    }
