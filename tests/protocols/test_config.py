"""`tracking_plans:` and `transformations:` in eventyard.yaml: the keys of the issue, and
errors that name the key and the line."""

from __future__ import annotations

import textwrap

import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError
from eventyard.protocols import compile_protocols

SOURCES = """
sources:
  - {name: web, write_key: k1}
  - {name: app, write_key: k2}
  - {name: quarantine, write_key: k3}
"""

ISSUE_SHAPE = """
tracking_plans:
  - name: shop
    sources: [web]
    events:
      "Order Completed":                 # JSON Schema of the event's properties
        type: object
        required: [order_id, revenue]
        properties: {order_id: {type: string}, revenue: {type: number}}
    identify_traits: {type: object, properties: {email: {type: string, format: email}}}
    settings:
      unplanned_events: block            # allow | block
      unplanned_properties: omit         # allow | omit
      violations: block                  # allow | block | forward
      forward_to: quarantine             # a source, when violations: forward
transformations:
  - name: checkout
    sources: [web, app]
    if: event = "Checkout"
    rename_event: Checkout Started
    rename_properties: {properties.total: properties.revenue}
    set: {properties.currency: {"@path": "$.properties.cur"}}
    warehouse: true
"""


def parse(text: str) -> object:
    return parse_config(SOURCES + textwrap.dedent(text), "eventyard.yaml")


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


def test_the_issue_configuration_shape_loads() -> None:
    config = parse_config(SOURCES + ISSUE_SHAPE)
    [plan] = config.tracking_plans
    assert plan.settings.unplanned_events == "block"
    assert plan.settings.unplanned_properties == "omit"
    assert plan.settings.forward_to == "quarantine"
    [step] = config.transformations
    assert step.if_ == 'event = "Checkout"' and step.warehouse
    protocols = compile_protocols(config)
    assert protocols.sources == {"web", "app"}


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (
            """
            tracking_plans:
              - name: shop
                sources: [web]
                events:
                  "Order Completed":
                    properties: {revenue: {type: numbr}}
            """,
            "eventyard.yaml:12: tracking_plans[0].events.`Order Completed`.properties.revenue.type",
            "is not valid",
        ),
        (
            """
            tracking_plans:
              - name: shop
                sources: [web, nope]
            """,
            "eventyard.yaml:9: tracking_plans[0].sources[1]",
            "no source named 'nope'; known sources: web, app, quarantine",
        ),
        (
            """
            tracking_plans:
              - {name: a, sources: [web]}
              - {name: b, sources: [app, web]}
            """,
            "eventyard.yaml:9: tracking_plans[1].sources[1]",
            "already follows plan 'a'",
        ),
        (
            """
            tracking_plans:
              - name: a
                settings: {violations: forward}
            """,
            "eventyard.yaml:9: tracking_plans[0].settings.forward_to",
            "name the quarantine source",
        ),
        (
            """
            tracking_plans:
              - name: a
                sources: [web]
                settings: {violations: forward, forward_to: web}
            """,
            "eventyard.yaml:10: tracking_plans[0].settings.forward_to",
            "follows this plan itself",
        ),
        (
            """
            tracking_plans:
              - name: a
                settings: {violations: drop}
            """,
            "eventyard.yaml:9: tracking_plans[0].settings.violations",
            "Invalid enum value 'drop'",
        ),
        (
            """
            tracking_plans:
              - {name: a}
              - {name: a}
            """,
            "eventyard.yaml:9: tracking_plans[1].name",
            "duplicate 'a'",
        ),
        (
            """
            tracking_plans:
              - name: a
                event_context: {Nope: {}}
            """,
            "eventyard.yaml:9: tracking_plans[0].event_context.Nope",
            "not one of the plan's events",
        ),
        (
            """
            tracking_plans:
              - name: a
                events:
                  X: {type: string, pattern: "(?!bot)"}
            """,
            "eventyard.yaml:10: tracking_plans[0].events.X.pattern",
            "linear time",
        ),
        (
            """
            tracking_plans:
              - name: a
                evnts: {}
            """,
            "eventyard.yaml:9: tracking_plans[0].evnts",
            "unknown key",
        ),
        (
            """
            transformations:
              - name: t
                sources: [web]
                if: event = = "x"
                rename_event: y
            """,
            "eventyard.yaml:10: transformations[0].if",
            "",
        ),
        (
            """
            transformations:
              - name: t
                sources: [web]
                set:
                  properties.x: {"@pathh": "$.a"}
            """,
            "eventyard.yaml:11: transformations[0].set.`properties.x`",
            "unknown directive @pathh",
        ),
        (
            """
            transformations:
              - name: t
                sources: [web]
                rename_properties: {userId: properties.user}
            """,
            "eventyard.yaml:10: transformations[0].rename_properties.userId",
            "must start with properties.",
        ),
        (
            """
            transformations:
              - name: t
                sources: [web]
            """,
            "eventyard.yaml:8: transformations[0]",
            "does nothing",
        ),
        (
            """
            transformations:
              - {name: t, sources: [elsewhere], rename_event: x}
            """,
            "eventyard.yaml:8: transformations[0].sources[0]",
            "no source named 'elsewhere'",
        ),
        (
            """
            transformations:
              - {name: t, sources: [web], rename_properties: {properties.a.b.c.d.e: properties.x}}
            """,
            "eventyard.yaml:8: transformations[0].rename_properties.`properties.a.b.c.d.e`",
            "more than 5 keys deep",
        ),
    ],
)
def test_errors_name_the_key_and_line(text: str, where: str, words: str) -> None:
    message = refused(text)
    assert message.startswith(where + ":"), message
    assert words in message


def test_a_plan_may_have_no_sources_yet() -> None:
    parse("tracking_plans:\n  - name: draft\n")
