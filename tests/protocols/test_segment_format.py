"""Segment tracking plans in and out, and JSON Schema files in."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from eventyard.control.protocols_config import TrackingPlanConfig
from eventyard.errors import ConfigError
from eventyard.protocols.compile import compile_plan
from eventyard.protocols.segment_format import (
    export_segment,
    import_json_schema,
    import_segment,
    with_event,
    with_import,
)
from protocols.ecommerce import ecommerce_plan, order_completed, track

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def whole(properties: dict[str, Any] | None = None, **parts: Any) -> dict[str, Any]:
    """A Segment rule: one JSON Schema over the whole event."""
    inner = {"context": {}, "traits": {}, "properties": properties or {}, **parts}
    return {"$schema": DRAFT_07, "type": "object", "properties": inner, "required": ["properties"]}


ORDER = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}, "revenue": {"type": "number"}},
    "required": ["order_id", "revenue"],
}
TRAITS = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}

PUBLIC_API = {
    "data": {
        "trackingPlan": {
            "id": "tp_2aB",
            "name": "Kicks App",
            "slug": "kicks-app",
            "description": "Checkout flow",
            "type": "LIVE",
            "rules": [
                {
                    "type": "TRACK",
                    "key": "Order Completed",
                    "version": 1,
                    "jsonSchema": whole(ORDER),
                },
                {"type": "IDENTIFY", "key": None, "version": 1, "jsonSchema": whole(traits=TRAITS)},
                {
                    "type": "GROUP",
                    "key": None,
                    "version": 1,
                    "jsonSchema": whole(traits={"type": "object", "required": ["name"]}),
                },
                {
                    "type": "COMMON",
                    "key": None,
                    "version": 1,
                    "jsonSchema": {"type": "object", "required": ["userId"]},
                },
            ],
        }
    }
}

CONFIG_API = {
    "name": "workspaces/myworkspace/tracking-plans/rs_123",
    "display_name": "Kicks App",
    "rules": {
        "global": {"$schema": DRAFT_07, "type": "object", "properties": {}},
        "events": [
            {
                "name": "Order Completed",
                "description": "A purchase",
                "rules": whole(ORDER),
                "version": 1,
            },
            {
                "name": "Product Added",
                "rules": whole(context={"type": "object", "required": ["page"]}),
                "version": 1,
            },
        ],
        "identify": whole(traits=TRAITS),
        "group": whole(),
    },
    "create_time": "2024-01-01T00:00:00Z",
    "update_time": "2024-01-02T00:00:00Z",
}


def test_public_api_export_imports_every_rule() -> None:
    plan = import_segment(PUBLIC_API)
    assert plan.name == "Kicks App" and plan.description == "Checkout flow"
    assert plan.parts == {
        "events": {"Order Completed": ORDER},
        "identify_traits": TRAITS,
        "group_traits": {"type": "object", "required": ["name"]},
        "common": {"type": "object", "required": ["userId"]},
    }
    assert plan.warnings == []


def test_config_api_export_imports_events_context_and_traits() -> None:
    plan = import_segment(CONFIG_API)
    assert plan.name == "Kicks App"
    assert plan.parts["events"] == {"Order Completed": ORDER, "Product Added": {}}
    assert plan.parts["event_context"] == {
        "Product Added": {"type": "object", "required": ["page"]}
    }
    assert plan.parts["identify_traits"] == TRAITS
    assert "group_traits" not in plan.parts  # an empty traits rule checks nothing
    assert "common" not in plan.parts  # nor does an empty global one


def test_typewriter_shape_imports() -> None:
    plan = import_segment(
        {"events": [{"name": "Order Completed", "rules": whole(ORDER)}], "identify_traits": TRAITS}
    )
    assert plan.parts == {"events": {"Order Completed": ORDER}, "identify_traits": TRAITS}


def test_what_is_left_out_is_said() -> None:
    rules = [
        {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": whole({"type": "object"})},
        {"type": "TRACK", "key": "A", "version": 2, "jsonSchema": whole(ORDER)},
        {"type": "TRACK", "key": "B", "version": 1, "jsonSchema": whole(traits={"type": "object"})},
        {"type": "PAGE", "key": "Home", "version": 1, "jsonSchema": whole()},
        {"type": "TRACK", "key": None, "jsonSchema": whole()},
    ]
    plan = import_segment({"rules": rules})
    assert plan.parts["events"] == {"A": ORDER, "B": {}}
    text = " ".join(plan.warnings)
    assert "kept version 2" in text and "PAGE" in text and "traits of a track" in text
    assert "without an event name" in text


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ([], "must be a JSON object"),
        ({"rules": "x"}, "no rules found"),
        ({"nothing": 1}, "no rules found"),
        ({"rules": [1]}, "each rule must be a JSON object"),
        ({"rules": {"events": {}}}, "rules.events must be a list"),
        ({"rules": [{"type": "TRACK", "key": "A", "jsonSchema": "x"}]}, "no JSON Schema object"),
    ],
)
def test_unreadable_documents_say_what_is_wrong(document: Any, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        import_segment(document)
    assert words in str(caught.value)


DRAFT_04 = "http://json-schema.org/draft-04/schema#"
POSITIVE = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
"""Draft-04's boolean exclusiveMinimum: a schema error under draft-07."""


def test_config_api_plans_in_draft_04_are_checked_as_draft_04() -> None:
    rule = {**whole({"type": "object", "properties": {"revenue": POSITIVE}}), "$schema": DRAFT_04}
    document = {"display_name": "Old", "rules": {"events": [{"name": "Paid", "rules": rule}]}}
    imported = with_import(None, "old", import_segment(document))
    assert imported["events"]["Paid"]["$schema"] == DRAFT_04  # the event keeps its draft
    plan = compile_plan(msgspec.convert(imported, TrackingPlanConfig))
    assert plan.check(track("Paid", {"revenue": 5})).violations == []
    (violation,) = plan.check(track("Paid", {"revenue": 0})).violations
    assert (violation.path, violation.rule) == ("properties.revenue", "exclusiveMinimum")
    assert violation.as_segment()["violationDescription"] == "Must be greater than 0"
    exported = export_segment(imported)
    (paid,) = exported["rules"]
    assert paid["jsonSchema"]["$schema"] == DRAFT_04
    assert "$schema" not in paid["jsonSchema"]["properties"]["properties"]
    assert with_import(None, "old", import_segment(exported)) == imported


def test_export_then_import_gives_the_same_plan() -> None:
    original = ecommerce_plan(
        event_context={"Product Added": {"type": "object", "required": ["page"]}},
        group_traits={"type": "object", "properties": {"name": {"type": "string"}}},
        common={"type": "object", "required": ["messageId"]},
        description="Ecommerce Spec v2",
    )
    exported = export_segment(original)
    assert exported["name"] == "shop"
    track_rule = next(r for r in exported["rules"] if r["key"] == "Order Completed")
    assert track_rule["type"] == "TRACK" and track_rule["jsonSchema"]["$schema"] == DRAFT_07
    again = with_import(None, "shop", import_segment(exported))
    assert again == original


def test_an_imported_plan_validates_like_the_original() -> None:
    imported = with_import(None, "shop", import_segment(export_segment(ecommerce_plan())))
    plan = compile_plan(msgspec.convert(imported, TrackingPlanConfig))
    assert plan.check(track("Order Completed", order_completed())).violations == []
    assert plan.check(track("Order Completed", order_completed(revenue="1"))).broken


def test_an_import_keeps_sources_and_settings_and_replaces_schemas() -> None:
    existing = ecommerce_plan(sources=["web"], settings={"violations": "block"}, common={})
    updated = with_import(existing, "shop", import_segment(PUBLIC_API))
    assert updated["sources"] == ["web"] and updated["settings"] == {"violations": "block"}
    assert set(updated["events"]) == {"Order Completed"}
    assert updated["description"] == "Checkout flow"


def test_json_schema_files_add_one_event() -> None:
    name, schema = import_json_schema({"title": "Order Completed", **ORDER})
    assert name == "Order Completed" and schema["required"] == ["order_id", "revenue"]
    plan = with_event(ecommerce_plan(), "shop", "Coupon Entered", ORDER)
    assert "Coupon Entered" in plan["events"] and "Order Completed" in plan["events"]
    assert import_json_schema(ORDER, "Given")[0] == "Given"
    with pytest.raises(ConfigError, match="no title"):
        import_json_schema(ORDER)
    with pytest.raises(ConfigError, match="must be a JSON object"):
        import_json_schema([ORDER])
