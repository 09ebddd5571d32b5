"""Destination filters: only-send, Segment's rule order, property rules, sampling."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eventyard.control.config import FilterRule
from eventyard.pipeline.destination_filter import (
    DestinationFilter,
    Dropped,
    compile_filters,
    sample_fraction,
)
from eventyard.testing import make_event


def rules(*specs: dict[str, Any], only: str | None = None) -> DestinationFilter:
    compiled = compile_filters(only, [FilterRule(**spec) for spec in specs])
    assert compiled is not None
    return compiled


def kept(result: dict[str, Any] | Dropped) -> dict[str, Any]:
    assert not isinstance(result, Dropped), result
    return result


def test_no_filters_compile_to_nothing() -> None:
    assert compile_filters(None, []) is None


def test_only_send_keeps_matching_events_and_explains_the_rest() -> None:
    only = rules(only='type = "track" and properties.revenue > 0')
    sale = make_event(properties={"revenue": 5})
    assert kept(only.apply(sale)) is sale
    dropped = only.apply(make_event(properties={"revenue": 0}))
    assert dropped == Dropped("filter", 'filter: type = "track" and properties.revenue > 0')


def test_drop_rule_with_if() -> None:
    drop = rules({"if_": 'event = "Secret"', "drop": True})
    assert isinstance(drop.apply(make_event(event="Secret")), Dropped)
    assert kept(drop.apply(make_event(event="Open")))["event"] == "Open"
    named = rules({"if_": "all", "drop": True, "name": "everything"})
    assert named.apply(make_event()) == Dropped("drop", "filters[0] (everything) drop: if all")


def test_segment_order_drop_runs_before_drop_properties_whatever_the_file_order() -> None:
    chain = rules(
        {"drop_properties": {"properties": ["secret"]}},
        {"if_": "properties.secret != null", "drop": True},
    )
    assert isinstance(chain.apply(make_event(properties={"secret": 1})), Dropped)


def test_allow_runs_after_drop_properties() -> None:
    chain = rules(
        {"allow_properties": {"properties": ["a", "b"]}},
        {"drop_properties": {"properties": ["b"]}},
    )
    event = make_event(properties={"a": 1, "b": 2, "c": 3})
    assert kept(chain.apply(event))["properties"] == {"a": 1}


def test_property_rules_on_nested_paths_top_level_and_arrays_without_mutating() -> None:
    event = make_event(
        properties={"products": [{"sku": "a", "price": 1}, {"sku": "b", "price": 2}], "x": 1},
        context={"traits": {"email": "a@b.c", "plan": "pro"}, "ip": "1.2.3.4"},
    )
    before = copy.deepcopy(event)
    chain = rules(
        {"drop_properties": {"": ["anonymousId"], "context.traits": ["email"]}},
        {"drop_properties": {"properties.products": ["price"]}},
        {"allow_properties": {"context": ["traits"], "missing.path": ["a"]}},
    )
    out = kept(chain.apply(event))
    assert "anonymousId" not in out and out["userId"] == "user1234"
    assert out["context"] == {"traits": {"plan": "pro"}}
    assert out["properties"] == {"products": [{"sku": "a"}, {"sku": "b"}], "x": 1}
    assert event == before, "the shared event was changed"
    assert out["traits"] is event["traits"], "untouched objects are shared, not copied"


def test_rule_if_sees_the_event_as_earlier_rules_left_it() -> None:
    chain = rules(
        {"drop_properties": {"properties": ["plan"]}},
        {"if_": 'properties.plan = "pro"', "allow_properties": {"": ["type"]}},
    )
    out = kept(chain.apply(make_event(properties={"plan": "pro"})))
    assert out["properties"] == {} and "userId" in out


@pytest.mark.parametrize(("percent", "expect_kept"), [(0.0, 0), (1.0, 200)])
def test_sample_edges(percent: float, expect_kept: int) -> None:
    sample = rules({"sample": percent})
    results = [sample.apply(make_event(userId=f"u{i}")) for i in range(200)]
    assert sum(not isinstance(r, Dropped) for r in results) == expect_kept


def test_deterministic_sampling_is_stable_per_value_and_near_the_percentage() -> None:
    sample = rules({"sample": 0.3, "sample_path": "userId"})
    fates = {}
    for i in range(3000):
        user = f"user-{i}"
        first = isinstance(sample.apply(make_event(userId=user)), Dropped)
        again = isinstance(sample.apply(make_event(userId=user, event="Other")), Dropped)
        assert first == again
        fates[user] = not first
    assert 0.27 < sum(fates.values()) / len(fates) < 0.33
    dropped = sample.apply(make_event(userId=next(u for u, k in fates.items() if not k)))
    assert dropped == Dropped("sample", "filters[0] sample 0.3: not sampled")


def test_sample_fraction_is_in_the_unit_interval_and_fixed() -> None:
    values = [sample_fraction(v) for v in ["a", 1, None, {"k": [1, 2]}, "user-42"]]
    assert all(0 <= v < 1 for v in values)
    assert values == [sample_fraction(v) for v in ["a", 1, None, {"k": [1, 2]}, "user-42"]]
    assert len(set(values)) == len(values)


def test_random_sampling_keeps_about_the_percentage() -> None:
    sample = rules({"sample": 0.5})
    kept_count = sum(not isinstance(sample.apply(make_event()), Dropped) for _ in range(4000))
    assert 1700 < kept_count < 2300
