"""Computed traits: every type, the FQL condition, windows, merges, and arrival order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from eventyard.control.duration import Duration
from eventyard.control.profiles_config import ComputedTraitConfig, ProfilesSettings
from eventyard.profiles import queries
from profiles.world import World, event

ORDER = 'type = "track" and event = "Order Completed"'
TRAITS = [
    ComputedTraitConfig(key="orders", type="counter", if_=ORDER),
    ComputedTraitConfig(key="spend", type="sum", if_=ORDER, property="properties.revenue"),
    ComputedTraitConfig(key="basket", type="avg", if_=ORDER, property="properties.revenue"),
    ComputedTraitConfig(key="smallest", type="min", if_=ORDER, property="properties.revenue"),
    ComputedTraitConfig(key="largest", type="max", if_=ORDER, property="properties.revenue"),
    ComputedTraitConfig(key="favorite", type="most_frequent", property="properties.category"),
    ComputedTraitConfig(key="first_page", type="first", if_='type = "page"', property="name"),
    ComputedTraitConfig(key="last_page", type="last", if_='type = "page"', property="name"),
    ComputedTraitConfig(key="categories", type="unique_list", property="properties.category"),
    ComputedTraitConfig(key="kinds", type="unique_list_count", property="properties.category"),
]  # fmt: skip
EVENTS = [
    event("e1", "2024-05-01T10:00:00Z", userId="u", event="Order Completed",
          properties={"revenue": 30, "category": "shoes"}),
    event("e2", "2024-05-02T10:00:00Z", userId="u", event="Order Completed",
          properties={"revenue": 12.5, "category": "hats"}),
    event("e3", "2024-05-03T10:00:00Z", userId="u", event="Order Completed",
          properties={"revenue": "a lot", "category": "shoes"}),
    event("e4", "2024-05-04T10:00:00Z", userId="u", event="Product Viewed",
          properties={"revenue": 999, "category": ["not", "a", "scalar"]}),
    event("e5", "2024-05-05T10:00:00Z", userId="u", type="page", name="Home"),
    event("e6", "2024-05-06T10:00:00Z", userId="u", type="page", name="Checkout"),
    event("e7", "2024-05-07T10:00:00Z", userId="u", event="Order Completed",
          properties={"category": "bags"}),
]  # fmt: skip
EXPECTED = {
    "orders": 4,
    "spend": 42.5,
    "basket": 21.25,
    "smallest": 12.5,
    "largest": 30,
    "favorite": "shoes",
    "first_page": "Home",
    "last_page": "Checkout",
    "categories": ["bags", "hats", "shoes"],
    "kinds": 3,
}


def _values(world: World, user: str = "u") -> dict[str, Any]:
    def read(sql: Any) -> dict[str, Any]:
        profile = queries.resolve(sql, "user_id", user)
        rows = queries.computed(sql, profile) if profile else {}
        return {key: orjson.loads(text or "null") for key, (text, _) in rows.items()}

    return world.read(read)


@pytest.mark.parametrize("order", ["in order", "reversed", "one by one reversed"])
def test_every_type(tmp_path: Path, order: str) -> None:
    world = World(tmp_path, ProfilesSettings(computed_traits=TRAITS))
    if order == "in order":
        world.apply(EVENTS)
    elif order == "reversed":
        world.apply(EVENTS[::-1])
    else:
        for body in EVENTS[::-1]:
            world.apply([body])
    assert _values(world) == EXPECTED


def test_most_frequent_needs_two_and_breaks_ties_alphabetically(tmp_path: Path) -> None:
    trait = ComputedTraitConfig(key="fav", type="most_frequent", property="properties.c")
    world = World(tmp_path, ProfilesSettings(computed_traits=[trait]))
    world.apply([event("a", "2024-01-01T00:00:00Z", userId="u", properties={"c": "zebra"})])
    assert _values(world) == {"fav": None}
    world.apply(
        event(f"m{i}", "2024-01-02T00:00:00Z", userId="u", properties={"c": c})
        for i, c in enumerate(["zebra", "apple", "apple", "mango"])
    )
    assert _values(world) == {"fav": "apple"}  # apple and zebra twice: alphabetical


def test_a_window_counts_only_recent_events(tmp_path: Path) -> None:
    trait = ComputedTraitConfig(key="recent", type="counter", window=Duration(86400))
    world = World(tmp_path, ProfilesSettings(computed_traits=[trait]))
    now = 1_714_600_000.0  # 2024-05-01T21:46:40Z
    world.apply(
        [
            event("old", "2024-04-29T00:00:00Z", userId="u"),
            event("new", "2024-05-01T12:00:00Z", userId="u"),
        ],
        now=now,
    )
    assert _values(world) == {"recent": 1}


def test_merged_profiles_combine_their_traits(tmp_path: Path) -> None:
    world = World(tmp_path, ProfilesSettings(computed_traits=TRAITS))
    world.apply(
        [
            event("p1", "2024-05-01T10:00:00Z", anonymousId="a", event="Order Completed",
                  properties={"revenue": 10, "category": "hats"}),
            event("p2", "2024-05-01T11:00:00Z", userId="u", event="Order Completed",
                  properties={"revenue": 5, "category": "hats"}),
            event("p3", "2024-05-01T12:00:00Z", userId="u", anonymousId="a", type="identify"),
        ]
    )  # fmt: skip
    values = _values(world)
    assert (values["orders"], values["spend"], values["favorite"]) == (2, 15, "hats")
