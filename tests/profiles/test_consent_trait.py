"""The `consent` trait a "Segment Consent Preference Updated" call sets (Segment's Unify);
`e2e/test_segment_routing.py` reads it back through the Profile API of a real server."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.profiles.events import CONSENT_EVENT, consent_traits


def _event(consent: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": CONSENT_EVENT, "context": {"consent": consent}} | fields


def test_preferences_become_the_consent_trait_with_only_true_as_consent() -> None:
    prefs = {"Advertising": True, "Analytics": False, "Odd": "true", 7: True}
    assert consent_traits(_event({"categoryPreferences": prefs})) == {
        "consent": {"categoryPreferences": {"Advertising": True, "Analytics": False, "Odd": False}}
    }
    empty = consent_traits(_event({"categoryPreferences": {}}))
    assert empty == {"consent": {"categoryPreferences": {}}}  # nothing consented


@pytest.mark.parametrize(
    "event",
    [
        _event({}),
        _event({"categoryPreferences": ["Advertising"]}),
        _event("yes"),
        _event({"categoryPreferences": {"Advertising": True}}, event="Order Completed"),
        _event({"categoryPreferences": {"Advertising": True}}, type="identify"),
        {"type": "track", "event": CONSENT_EVENT, "context": "nope"},
    ],
)
def test_other_events_change_nothing(event: dict[str, Any]) -> None:
    assert consent_traits(event) is None


def test_bounded() -> None:
    prefs = {f"c{i}": True for i in range(1000)} | {"x" * 300: True}
    trait = consent_traits(_event({"categoryPreferences": prefs}))
    assert trait is not None and len(trait["consent"]["categoryPreferences"]) == 100
