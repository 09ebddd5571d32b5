"""Local match-quality scores and their aggregates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest

from eventyard.conversions.consent import ConsentState
from eventyard.conversions.enrich import build_conversion
from eventyard.conversions.match_quality import Aggregate, MatchScore, identifiers_present, score
from eventyard.conversions.spec import ConversionSpec
from eventyard.testing import make_event

SNAP = ConversionSpec(
    platform="snap",
    default_events=frozenset({"purchase"}),
    match_weights={"email": 3, "phone": 2, "sc_click_id": 2, "ip": 1, "user_agent": 1, "zip": 1},
    minimum=(frozenset({"email"}), frozenset({"phone"}), frozenset({"ip", "user_agent"})),
)


def _conversion(traits: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    event = make_event(event="Order Completed", traits=traits, context=context)
    return build_conversion(
        event, "purchase", {"sc_click_id": "c-1"}, ConsentState.from_event(event), False
    )


def test_identifiers_present_counts_only_usable_values() -> None:
    conversion = _conversion(
        {
            "email": "a@b.co",
            "phone": "415 555 0100",  # read in the user's country
            "address": {"country": "US", "postalCode": "n/a", "city": "Menlo Park"},
            "firstName": "123",
            "gender": "other",
        },
        {"ip": "203.0.113.7"},
    )
    assert identifiers_present(conversion) == {
        "email",
        "phone",
        "country",
        "city",
        "external_id",
        "ip",
        "sc_click_id",
    }
    assert identifiers_present(_conversion({"email": "nope", "zip": "SW1A 1AA"}, {})) == {
        "zip",
        "external_id",
        "sc_click_id",
    }


@pytest.mark.parametrize(
    "conversion",
    [{}, {"user": None, "click_ids": []}, {"user": {"email": 5}, "ip": {"a": 1}}, {"user": "x"}],
)
def test_identifiers_present_on_garbage(conversion: dict[str, Any]) -> None:
    assert identifiers_present(conversion) == frozenset()


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (
            set(),
            MatchScore(0.0, ("email", "phone", "sc_click_id", "ip", "user_agent", "zip"), False),
        ),
        ({"email"}, MatchScore(3.0, ("phone", "sc_click_id", "ip", "user_agent", "zip"), True)),
        ({"ip"}, MatchScore(1.0, ("email", "phone", "sc_click_id", "user_agent", "zip"), False)),
        (
            {"ip", "user_agent", "fbc"},
            MatchScore(2.0, ("email", "phone", "sc_click_id", "zip"), True),
        ),
        ({"email", "phone", "sc_click_id", "ip", "user_agent", "zip"}, MatchScore(10.0, (), True)),
        ({"phone", "zip"}, MatchScore(3.0, ("email", "sc_click_id", "ip", "user_agent"), True)),
        ({"email", "phone", "ip"}, MatchScore(6.0, ("sc_click_id", "user_agent", "zip"), True)),
    ],
)
def test_score(present: set[str], expected: MatchScore) -> None:
    assert score(frozenset(present), SNAP) == expected


def test_score_rounds_and_handles_specs_without_weights_or_minimum() -> None:
    thirds = ConversionSpec("x", frozenset(), {"email": 1, "phone": 1, "ip": 1})
    assert score(frozenset({"email"}), thirds).score == 3.3
    empty = ConversionSpec("x", frozenset(), {})
    assert score(frozenset(), empty) == MatchScore(10.0, (), True)


def test_aggregate_adds_merges_and_round_trips() -> None:
    first, second = Aggregate(), Aggregate()
    first.add(score(frozenset({"email"}), SNAP))
    first.add(score(frozenset({"ip"}), SNAP))
    second.add(score(frozenset({"email", "phone", "sc_click_id", "ip", "user_agent", "zip"}), SNAP))
    first.merge(second)
    assert first.count == 3
    assert first.mean == round((3.0 + 1.0 + 10.0) / 3, 1)
    assert first.share_meeting_minimum == pytest.approx(2 / 3)
    assert first.missing == Counter(
        {"phone": 2, "sc_click_id": 2, "user_agent": 2, "zip": 2, "ip": 1, "email": 1}
    )
    assert first.missing_shares()[:2] == [("phone", 2 / 3), ("sc_click_id", 2 / 3)]
    stored = orjson.loads(orjson.dumps(first.as_dict()))
    assert Aggregate.from_dict(stored) == first


def test_empty_aggregate() -> None:
    empty = Aggregate()
    assert (empty.mean, empty.share_meeting_minimum, empty.missing_shares()) == (0.0, 0.0, [])
    assert Aggregate.from_dict({}) == empty
    assert Aggregate.from_dict({"missing": ["x"]}) == empty
