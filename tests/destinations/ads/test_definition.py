"""The compact ConversionSpec and the ad destination definition defaults."""

from __future__ import annotations

import pytest

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.destinations.ads.definition import ad_destination, conversion_spec
from eventyard.destinations.ads.settings import AdSettings


def test_weights_and_minimum_are_spelled_out() -> None:
    spec = conversion_spec(
        "meta",
        {"purchase", "lead", "add_to_cart"},
        weights={3: "email phone", 0.5: "city"},
        minimum=("email", "ip user_agent"),
        max_age=60.0,
    )
    assert dict(spec.match_weights) == {"email": 3, "phone": 3, "city": 0.5}
    assert spec.minimum == (frozenset({"email"}), frozenset({"ip", "user_agent"}))
    assert spec.default_events == {"purchase", "lead"}  # add_to_cart is no revenue or lead
    assert spec.limited_mode is True and spec.max_age == 60.0


def test_default_events_are_the_revenue_and_lead_events_a_platform_takes() -> None:
    spec = conversion_spec("google_ads", CANONICAL_NAMES, weights={1: "email"})
    assert spec.default_events == {
        "purchase",
        "refund",
        "subscribe",
        "lead",
        "sign_up",
        "start_trial",
        "contact",
    }
    assert spec.minimum == ()


def test_a_typo_in_a_key_fails_at_import() -> None:
    with pytest.raises(ValueError, match="emial"):
        conversion_spec("meta", CANONICAL_NAMES, weights={3: "emial"})


def test_ad_destinations_are_unordered_and_need_advertising_consent() -> None:
    definition = ad_destination(slug="x", name="X", settings=AdSettings, actions={})
    assert definition.ordered is False and definition.consent_category == "Advertising"
    analytics = ad_destination(
        slug="x", name="X", settings=AdSettings, actions={}, consent_category="Analytics"
    )
    assert analytics.consent_category == "Analytics"
