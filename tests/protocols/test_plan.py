"""Validating events against the Ecommerce plan: what is a violation, and how it reads."""

from __future__ import annotations

from typing import Any

import msgspec

from eventyard.control.protocols_config import TrackingPlanConfig
from eventyard.protocols.compile import compile_plan
from eventyard.protocols.plan import CompiledPlan
from eventyard.protocols.violations import MAX_VIOLATIONS
from protocols.ecommerce import ecommerce_plan, identify, order_completed, product_added, track


def plan(**extra: Any) -> CompiledPlan:
    return compile_plan(msgspec.convert(ecommerce_plan(**extra), TrackingPlanConfig))


def test_conforming_ecommerce_events_have_no_violations() -> None:
    shop = plan()
    for event in [
        track("Order Completed", order_completed()),
        track("Product Added", product_added()),
        track("Products Searched", {"query": {"term": "mug"}}),
        track("Order Refunded", {"order_id": "o-1"}),
        identify({"email": "ada@example.com", "plan": "pro"}),
        {"type": "page", "name": "Home", "properties": {"anything": 1}},
        {"type": "alias", "userId": "u1", "previousId": "a1"},
    ]:
        verdict = shop.check(event)
        assert verdict.violations == [], (event, verdict.violations)
        assert not verdict.broken and not verdict.unplanned_event


def test_wrong_types_and_missing_required_properties_are_each_reported() -> None:
    event = track("Order Completed", order_completed(revenue="55", currency=None, order_id=None))
    found = {(v.path, v.rule): v for v in plan().check(event).violations}
    assert set(found) == {
        ("properties.order_id", "required"),
        ("properties.currency", "required"),
        ("properties.revenue", "type"),
    }
    assert found["properties.revenue", "type"].expected == "number"
    assert found["properties.revenue", "type"].actual == '"55" (string)'
    assert found["properties.order_id", "required"].actual == "missing"


def test_nested_product_violations_have_their_array_path() -> None:
    products = [{"product_id": "p-1", "price": 3}, {"product_id": "", "price": -1, "quantity": 0}]
    verdict = plan().check(track("Order Completed", order_completed(products=products)))
    found = {(v.path, v.rule, v.expected) for v in verdict.violations}
    assert found == {
        ("properties.products[1].product_id", "minLength", "at least 1 characters"),
        ("properties.products[1].price", "minimum", ">= 0"),
        ("properties.products[1].quantity", "minimum", ">= 1"),
    }


def test_patterns_enums_and_formats() -> None:
    shop = plan()
    currency = shop.check(track("Order Completed", order_completed(currency="usd"))).violations
    assert [(v.rule, v.expected) for v in currency] == [("pattern", "matches ^[A-Z]{3}$")]
    traits = shop.check(identify({"email": "nope", "plan": "gold"})).violations
    assert {(v.path, v.rule) for v in traits} == {
        ("traits.email", "format"),
        ("traits.plan", "enum"),
    }
    assert (
        next(v for v in traits if v.rule == "enum").expected == 'one of ["free","pro","enterprise"]'
    )


def test_violations_in_segments_words() -> None:
    """violationType and violationDescription as Segment's "Violation Generated" has them."""
    shop = plan()
    products = [{"product_id": ["p-1"], "price": -1}]
    bad = order_completed(currency="usd", order_id=None, products=products)
    found = {v.path: v.as_segment() for v in shop.check(track("Order Completed", bad)).violations}
    assert {path: (s["violationType"], s["violationDescription"]) for path, s in found.items()} == {
        "properties.order_id": ("Required", "properties.order_id is required"),
        "properties.currency": ("Pattern", "Does not match pattern '^[A-Z]{3}$'"),
        "properties.products[0].product_id": (
            "Invalid Type",
            "Invalid type. Expected: string, given: array",
        ),
        "properties.products[0].price": ("Minimum", "Must be greater than or equal to 0"),
    }
    traits = shop.check(identify({"email": "nope", "plan": "gold", "pet": "cat"})).violations
    words = {v.path: (v.segment_type, v.as_segment()["violationDescription"]) for v in traits}
    assert words["traits.email"] == ("Format", "Does not match format 'email'")
    assert words["traits.plan"] == (
        "Enum",
        'traits.plan must be one of the following: "free", "pro", "enterprise"',
    )


def test_an_unplanned_event_is_reported_by_name() -> None:
    verdict = plan().check(track("Order Complete", {"order_id": "o"}))
    assert verdict.unplanned_event and not verdict.broken
    [violation] = verdict.violations
    assert (violation.path, violation.rule) == ("event", "unplanned_event")
    assert violation.description == "'Order Complete' is not an event of tracking plan 'shop'"


def test_segments_consent_event_is_planned_in_every_plan() -> None:
    consent = {"consent": {"categoryPreferences": {"Advertising": False}}}
    event = track("Segment Consent Preference Updated", {}) | {"context": consent}
    verdict = plan().check(event)
    assert verdict.violations == [] and not verdict.unplanned_event
    lookalike = track("segment consent preference updated", {})
    assert plan().check(lookalike).unplanned_event


def test_event_names_match_exactly_and_case_sensitively() -> None:
    assert plan().check(track("order completed", order_completed())).unplanned_event


def test_unplanned_properties_are_listed_but_not_a_schema_violation() -> None:
    properties = order_completed(gift_wrap=True)
    properties["products"][0]["color"] = "red"
    verdict = plan().check(track("Order Completed", properties))
    assert not verdict.broken
    assert verdict.unplanned == [
        ("properties", "gift_wrap"),
        ("properties", "products", 0, "color"),
    ]
    assert {v.rule for v in verdict.violations} == {"unplanned_property"}


def test_closed_and_pattern_objects_leave_unplanned_keys_to_the_schema() -> None:
    closed = {"type": "object", "properties": {"a": {}}, "additionalProperties": False}
    patterned = {"type": "object", "properties": {"a": {}}, "patternProperties": {"^x": {}}}
    shop = plan(events={"Closed": closed, "Patterned": patterned})
    verdict = shop.check(track("Closed", {"a": 1, "b": 2}))
    assert [(v.path, v.rule) for v in verdict.violations] == [
        ("properties.b", "additionalProperties")
    ]
    assert verdict.unplanned == []
    assert shop.check(track("Patterned", {"a": 1, "y": 2})).unplanned == []


def test_missing_properties_are_an_empty_object_and_a_non_object_is_a_violation() -> None:
    shop = plan()
    missing = shop.check({"type": "track", "event": "Order Refunded"}).violations
    assert [(v.path, v.rule) for v in missing] == [("properties.order_id", "required")]
    wrong = shop.check({"type": "track", "event": "Order Refunded", "properties": [1]}).violations
    assert [(v.path, v.rule) for v in wrong] == [("properties", "type")]


def test_event_context_and_the_common_schema() -> None:
    bots = {"properties": {"context": {"properties": {"userAgent": {"not": {"pattern": "bot"}}}}}}
    needs_page = {"type": "object", "required": ["page"]}
    shop = plan(common=bots, event_context={"Product Added": needs_page})
    added = shop.check(track("Product Added", product_added(), context={"userAgent": "Googlebot"}))
    assert {(v.path, v.rule) for v in added.violations} == {
        ("context.page", "required"),
        ("context.userAgent", "not"),
    }
    human = shop.check({"type": "page", "context": {"userAgent": "Mozilla/5.0"}})
    assert human.violations == []


def test_group_traits() -> None:
    shop = plan(group_traits={"type": "object", "required": ["name"]})
    assert (
        shop.check({"type": "group", "groupId": "g", "traits": {"name": "Acme"}}).violations == []
    )
    [violation] = shop.check({"type": "group", "groupId": "g", "traits": {}}).violations
    assert violation.path == "traits.name"


def test_violations_per_event_are_capped() -> None:
    products = [{"price": "x"} for _ in range(200)]
    verdict = plan().check(track("Order Completed", order_completed(products=products)))
    assert len(verdict.violations) == MAX_VIOLATIONS
    assert verdict.broken


def test_odd_events_never_raise() -> None:
    shop = plan()
    for event in [{}, {"type": None}, {"type": "track"}, {"type": "track", "event": 5},
                  {"type": "identify", "traits": "x"}, {"type": "track", "event": "Order Completed",
                  "properties": {"products": "many"}}]:  # fmt: skip
        shop.check(event)
