"""Destination types found through the `eventyard.destinations` entry-point group.

Built-in destinations register there too, so a plugin is found exactly like a built-in.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from eventyard.destinations.base import DestinationDefinition
from eventyard.errors import ConfigError

__all__ = ["ENTRY_POINT_GROUP", "available", "get_definition"]

ENTRY_POINT_GROUP = "eventyard.destinations"


@cache
def available() -> dict[str, DestinationDefinition]:
    """All installed destination types, by slug (the `type` in eventyard.yaml)."""
    found: dict[str, DestinationDefinition] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        definition = entry.load()
        if not isinstance(definition, DestinationDefinition):
            raise ConfigError(
                f"entry point {entry.name!r} in {ENTRY_POINT_GROUP} is not a DestinationDefinition"
            )
        found[definition.slug] = definition
    return found


def get_definition(slug: str) -> DestinationDefinition:
    """The definition for a `type`; the error lists the types that are installed."""
    types = available()
    if slug not in types:
        known = ", ".join(sorted(types)) or "none"
        raise ConfigError(f"unknown destination type {slug!r}; installed types: {known}")
    return types[slug]
