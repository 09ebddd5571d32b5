"""The integrations object's decision per destination (`pipeline.fanout.choose`); the e2e
test `e2e/test_segment_routing.py` sends the same objects through the real server."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.destinations.registry import available
from eventyard.pipeline.fanout import choose, type_keys

MIXPANEL = type_keys("Mixpanel", ("Mixpanel", "Mixpanel (Actions)"))


@pytest.mark.parametrize(
    ("integrations", "send", "note"),
    [
        (None, True, ""),
        ({}, True, ""),
        ({"Amplitude": False}, True, ""),
        ({"All": True}, True, 'integrations: "All": true'),
        ({"All": False}, False, 'integrations: "All": false'),
        ({"All": False, "Mixpanel": True}, True, 'integrations: "Mixpanel": true (catalog name)'),
        ({"All": False, "Mixpanel (Actions)": {"x": 1}}, True,
         'integrations: "Mixpanel (Actions)": an options object (catalog name)'),
        # a false among the type's keys wins, whatever the order
        ({"Mixpanel (Actions)": True, "Mixpanel": False}, False,
         'integrations: "Mixpanel": false (catalog name)'),
        # the destination's own name wins over its type's keys
        ({"All": False, "Mixpanel": False, "mp-eu": True}, True,
         'integrations: "mp-eu": true (destination name)'),
        ({"mixpanel": False, "MIXPANEL": False}, True, ""),  # case-sensitive
        ({"All": False, "Segment.io": True}, False, 'integrations: "All": false'),
        ({"All": None}, True, 'integrations: "All": null'),  # only false switches off
        ({"mp-eu": "x" * 100}, True, f'integrations: "mp-eu": "{"x" * 36}... (destination name)'),
    ],
)  # fmt: skip
def test_choose(integrations: dict[str, Any] | None, send: bool, note: str) -> None:
    choice = choose(integrations, "mp-eu", MIXPANEL)
    assert (choice.send, choice.note) == (send, note)


def test_a_types_own_name_is_a_key_too() -> None:
    keys = type_keys("HTTP Request", ())
    assert keys == {"HTTP Request": "type name"}
    assert choose({"All": False, "HTTP Request": True}, "api", keys).send


def test_every_built_in_type_declares_distinct_keys() -> None:
    """A key must address one type only, or `"X": false` would switch off another type."""
    owners: dict[str, str] = {}
    for slug, definition in available().items():
        for key in type_keys(definition.name, definition.catalog_names):
            assert owners.setdefault(key, slug) == slug, (key, owners[key], slug)
    assert owners["Facebook Conversions API"] == "meta-conversions-api"
    assert owners["Actions Amplitude"] == "amplitude"
    assert owners["Google Analytics 4"] == "google-analytics-4"
    assert owners["Webhooks"] == "webhook"
