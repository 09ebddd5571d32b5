"""Blocking, omitting and transformations: what an event becomes (pure, input untouched)."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.protocols.compile import compile_plan, compile_transformation
from eventyard.protocols.screen import Screened, screen
from protocols.ecommerce import ecommerce_plan, identify, order_completed, track


def shop(**settings: Any) -> Any:
    doc = ecommerce_plan(settings=settings)
    return compile_plan(msgspec.convert(doc, TrackingPlanConfig))


def step(**doc: Any) -> Any:
    return compile_transformation(
        msgspec.convert({"name": "t", "sources": ["web"], **doc}, TransformationConfig)
    )


def run(plan: Any, event: dict[str, Any], *steps: Any) -> Screened:
    before = copy.deepcopy(event)
    screened = screen(plan, steps, event)
    assert event == before, "the input event must never change"
    return screened


BAD = track("Order Completed", order_completed(revenue="55"))
UNPLANNED = track("Coupon Entered", {"coupon_id": "c"})


def test_allow_everything_records_violations_and_passes_the_event() -> None:
    screened = run(shop(), BAD)
    assert screened.event == BAD and screened.blocked is None and not screened.changed
    assert screened.verdict is not None and screened.verdict.broken


@pytest.mark.parametrize("setting", ["block", "forward"])
def test_violations_block_or_forward(setting: str) -> None:
    screened = run(shop(violations=setting, forward_to="quarantine"), BAD)
    assert screened.event is None
    assert screened.blocked == "violation"
    assert screened.forward_to == ("quarantine" if setting == "forward" else None)
    good = run(
        shop(violations=setting, forward_to="quarantine"),
        track("Order Completed", order_completed()),
    )
    assert good.event is not None and good.blocked is None


@pytest.mark.parametrize("setting", ["block", "forward"])
def test_unplanned_events_block_or_forward(setting: str) -> None:
    screened = run(shop(unplanned_events=setting, forward_to="quarantine"), UNPLANNED)
    assert screened.event is None and screened.blocked == "unplanned_event"
    assert screened.forward_to == ("quarantine" if setting == "forward" else None)
    assert run(shop(unplanned_events="allow"), UNPLANNED).event == UNPLANNED


def test_unplanned_properties_only_do_not_block_with_violations_block() -> None:
    event = track("Order Completed", order_completed(gift_wrap=True))
    screened = run(shop(violations="block"), event)
    assert screened.event == event


def test_omit_unplanned_properties_keeps_the_planned_ones() -> None:
    properties = order_completed(gift_wrap=True, note="leave at door")
    properties["products"][1]["color"] = "red"
    screened = run(shop(unplanned_properties="omit"), track("Order Completed", properties))
    assert screened.changed and screened.event is not None
    assert screened.event["properties"] == order_completed()


def test_omit_unplanned_traits() -> None:
    event = identify({"email": "ada@example.com", "favourite_color": "green"})
    kept = run(shop(unplanned_properties="omit"), event)
    assert kept.event == event
    omitted = run(shop(unplanned_traits="omit"), event)
    assert omitted.event is not None and omitted.event["traits"] == {"email": "ada@example.com"}


def test_a_blocked_event_is_not_transformed() -> None:
    screened = run(shop(violations="block"), BAD, step(rename_event="Purchase"))
    assert screened.event is None and screened.transformed == ()


def test_rename_event_only_where_if_matches_and_only_track() -> None:
    rename = step(**{"if": 'event = "Order Completed"', "rename_event": "Purchase"})
    event = track("Order Completed", order_completed())
    screened = run(None, event, rename)
    assert screened.event is not None and screened.event["event"] == "Purchase"
    assert screened.transformed == ("t",) and screened.plan is None
    other = run(None, track("Product Added", {}), rename)
    assert other.event is not None and other.event["event"] == "Product Added" and not other.changed
    page = run(None, {"type": "page", "name": "x"}, step(rename_event="Purchase"))
    assert page.event == {"type": "page", "name": "x"}


def test_rename_properties_moves_values_across_levels_and_skips_missing() -> None:
    move = step(
        rename_properties={
            "properties.revenue": "properties.value",
            "properties.checkout_id": "context.checkout.id",
            "properties.nothing": "properties.something",
            r"properties.a\.b": "properties.ab",
        }
    )
    event = track("Order Completed", {"revenue": 5, "checkout_id": "c", "a.b": 1})
    screened = run(None, event, move)
    assert screened.event is not None
    assert screened.event["properties"] == {"value": 5, "ab": 1}
    assert screened.event["context"] == {"checkout": {"id": "c"}}


def test_set_reads_the_event_as_it_was_before_the_transformation() -> None:
    setter = step(
        rename_properties={"properties.cur": "properties.currency_code"},
        set={
            "properties.currency": {"@path": "$.properties.cur"},
            "properties.label": {"@template": "{{event}} by {{userId}}"},
            "properties.missing": {"@path": "$.properties.nope"},
            "context.app.name": "shop",
        },
    )
    screened = run(None, track("Checkout Started", {"cur": "EUR"}), setter)
    assert screened.event is not None
    assert screened.event["properties"] == {
        "currency_code": "EUR",
        "currency": "EUR",
        "label": "Checkout Started by u1",
    }
    assert screened.event["context"] == {"app": {"name": "shop"}}


def test_transformations_chain_in_order() -> None:
    first = step(**{"if": 'event = "Old"', "rename_event": "Middle"})
    second = step(**{"if": 'event = "Middle"', "rename_event": "New"})
    screened = run(None, track("Old", {}), first, second)
    assert screened.event is not None and screened.event["event"] == "New"


def test_set_does_not_write_through_non_objects() -> None:
    setter = step(set={"properties.a.b": 1})
    screened = run(None, track("X", {"a": "text"}), setter)
    assert screened.event is not None and screened.event["properties"] == {"a": "text"}
