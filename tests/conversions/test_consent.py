"""Consent state from events, and the send / limited / suppress decision per destination."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from eventyard.conversions.consent import ConsentState, decide
from eventyard.conversions.spec import ConversionSpec
from eventyard.testing import make_event

_LIMITABLE = ConversionSpec("meta", frozenset({"purchase"}), {"email": 1.0}, limited_mode=True)
_NO_LIMIT = ConversionSpec("pinterest", frozenset({"purchase"}), {"email": 1.0})


def _event(consent: Any = None, location: Any = None) -> dict[str, Any]:
    event = make_event(event="Order Completed")
    if consent is not None:
        event["context"]["consent"] = consent
    if location is not None:
        event["context"]["location"] = location
    return event


def test_segment_category_preferences_and_google_signals() -> None:
    state = ConsentState.from_event(
        _event(
            {
                "categoryPreferences": {"Advertising": False, "Analytics": True, "Bad": "yes"},
                "ad_user_data": "DENIED",
                "adPersonalization": "granted",
            },
            {"country": "United States", "region": "California"},
        )
    )
    assert state.as_dict() == {
        "categories": {"Advertising": False, "Analytics": True},
        "ad_user_data": False,
        "ad_personalization": True,
        "country": "US",
        "state": "CA",
    }
    assert state.category("Advertising") is False
    assert state.category("Analytics") is True
    assert state.category("analytics") is False  # exact names, as Segment's categoryId
    assert state.category("Functional") is False  # left out of stated preferences: refused
    assert state.category("Bad") is False  # only `true` grants
    assert state.region == "US-CA"


@pytest.mark.parametrize("consent", [None, {}, {"ad_user_data": True}, {"categoryPreferences": 1}])
def test_no_preferences_stated_means_consent_is_not_enforced(consent: Any) -> None:
    state = ConsentState.from_event(_event(consent))
    assert not state.stated and state.category("Advertising") is None
    assert decide(state, ["Advertising"], "suppress", None, []).action == "send"


def test_an_empty_preferences_object_refuses_every_category() -> None:
    state = ConsentState.from_event(_event({"categoryPreferences": {}}))
    assert state.stated and state.category("Advertising") is False
    assert decide(state, ["Advertising"], "suppress", None, []).action == "suppress"
    assert decide(state, [], "suppress", None, []).action == "send"  # unmapped: sent


def test_boolean_false_signal_is_kept() -> None:
    state = ConsentState.from_event(_event({"ad_user_data": False, "ad_personalization": True}))
    assert (state.ad_user_data, state.ad_personalization) == (False, True)


def test_consent_region_wins_over_location() -> None:
    state = ConsentState.from_event(_event({"region": "us-co"}, {"country": "DE"}))
    assert (state.country, state.state, state.region) == ("US", "CO", "US-CO")
    state = ConsentState.from_event(_event(location={"country": "GB"}))
    assert (state.country, state.state, state.region) == ("GB", None, "GB")


@pytest.mark.parametrize(
    "consent",
    [
        "granted",
        ["Advertising"],
        {"categoryPreferences": ["Advertising"]},
        {"categoryPreferences": {"Advertising": "false"}},
        {"categoryPreferences": {str(i): True for i in range(10_000)}, "region": 5},
        {"ad_user_data": "maybe", "ad_personalization": {"x": 1}},
        {"region": "-" * 5000},
    ],
)
def test_hostile_consent_never_raises(consent: Any) -> None:
    state = ConsentState.from_event(_event(consent, location=["nope"]))
    assert len(state.categories) <= 100
    assert state.ad_user_data is None and state.country is None
    expected = "suppress" if state.stated else "send"  # stated without a true Advertising
    assert decide(state, ["Advertising"], "suppress", _LIMITABLE, ["US"]).action == expected


_CASES: list[tuple[dict[str, Any], list[str], str, ConversionSpec | None, list[str], str]] = [
    # (categoryPreferences, needed, fallback, spec, limited_regions, expected action)
    ({}, ["Advertising"], "suppress", _LIMITABLE, [], "suppress"),
    ({"Advertising": True}, ["Advertising"], "suppress", _LIMITABLE, [], "send"),
    ({"Analytics": True}, ["Advertising"], "suppress", _LIMITABLE, [], "suppress"),
    ({"Advertising": False}, ["Advertising"], "suppress", _LIMITABLE, [], "suppress"),
    ({"advertising": True}, ["Advertising"], "suppress", _LIMITABLE, [], "suppress"),
    ({"Advertising": False}, ["Advertising"], "limited", _LIMITABLE, [], "limited"),
    ({"Advertising": False}, ["Advertising"], "limited", _NO_LIMIT, [], "suppress"),
    ({"Advertising": False}, ["Advertising"], "limited", None, [], "suppress"),
    ({"Advertising": True, "Ads": False}, ["Advertising", "Ads"], "suppress", None, [], "suppress"),
    ({"Advertising": True, "Ads": True}, ["Advertising", "Ads"], "suppress", None, [], "send"),
    ({"Advertising": False}, [], "suppress", _LIMITABLE, [], "send"),
    ({"Advertising": True}, ["Advertising"], "suppress", _LIMITABLE, ["US-CA"], "limited"),
    ({"Advertising": True}, ["Advertising"], "suppress", _LIMITABLE, ["us"], "limited"),
    ({"Advertising": True}, ["Advertising"], "suppress", _LIMITABLE, ["US-CO"], "send"),
    ({"Advertising": True}, ["Advertising"], "suppress", _NO_LIMIT, ["US-CA"], "send"),
    ({"Advertising": False}, ["Advertising"], "suppress", _LIMITABLE, ["US-CA"], "suppress"),
]


@pytest.mark.parametrize(("prefs", "needed", "fallback", "spec", "regions", "action"), _CASES)
def test_decisions(
    prefs: dict[str, Any],
    needed: list[str],
    fallback: Literal["suppress", "limited"],
    spec: ConversionSpec | None,
    regions: list[str],
    action: str,
) -> None:
    state = ConsentState.from_event(
        _event({"categoryPreferences": prefs}, {"country": "US", "region": "CA"})
    )
    decision = decide(state, needed, fallback, spec, regions)
    assert decision.action == action
    assert decision.reason


def test_reasons_say_what_happened() -> None:
    denied = ConsentState.from_event(_event({"categoryPreferences": {"Advertising": False}}))
    assert decide(denied, ["Advertising"], "suppress", None, []).reason == (
        "consent denied for Advertising"
    )
    assert "no limited mode" in decide(denied, ["Advertising"], "limited", _NO_LIMIT, []).reason
    regional = ConsentState.from_event(_event(location={"country": "US", "region": "CA"}))
    assert decide(regional, [], "suppress", _LIMITABLE, ["US-CA"]).reason == (
        "region US-CA is in conversions.limited_regions"
    )
