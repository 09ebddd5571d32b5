"""Destination types found through the `eventyard.destinations` entry-point group.

Built-in destinations register there too, so a plugin is found exactly like a built-in.
Each type is imported only when it is used, so one broken plugin cannot break the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import EntryPoint, entry_points

import orjson

from eventyard.control.secrets import SECRET_MASK
from eventyard.destinations.base import DestinationDefinition, secret_mapping_fields
from eventyard.errors import ConfigError

__all__ = [
    "ENTRY_POINT_GROUP",
    "available",
    "get_definition",
    "masked_payload",
    "registered",
    "type_names",
]

ENTRY_POINT_GROUP = "eventyard.destinations"

_registered: dict[str, DestinationDefinition] = {}


def _entries() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def type_names() -> list[str]:
    """Installed destination types (the `type` values eventyard.yaml accepts), sorted:
    the entry points, then Segment's Actions (`actions/<slug>`) when their runner is set up."""
    # Imported on use (here and below): the runner's module imports delivery, which
    # imports this one.
    from eventyard.destinations.actions.catalog import type_names as actions_types

    return sorted(set(_entries()) | set(_registered)) + actions_types()


@cache
def get_definition(slug: str) -> DestinationDefinition:
    """The definition for a `type`; the error lists the types that are installed."""
    if slug in _registered:
        return _registered[slug]
    if slug.startswith("actions/"):
        from eventyard.destinations.actions.catalog import definition as actions_definition

        return actions_definition(slug)
    entry = _entries().get(slug)
    if entry is None:
        known = ", ".join(type_names()) or "none"
        raise ConfigError(f"unknown destination type {slug!r}; installed types: {known}")
    try:
        definition = entry.load()
    except Exception as error:
        raise ConfigError(
            f"destination type {slug!r} ({entry.value}) failed to load: {error}"
        ) from error
    if not isinstance(definition, DestinationDefinition) or definition.slug != slug:
        raise ConfigError(
            f"entry point {slug!r} in {ENTRY_POINT_GROUP} must be a DestinationDefinition "
            f"with slug {slug!r}"
        )
    return definition


def available() -> dict[str, DestinationDefinition]:
    """Every installed type, loaded (for catalogs and docs)."""
    return {slug: get_definition(slug) for slug in type_names()}


@contextlib.contextmanager
def registered(definition: DestinationDefinition) -> Iterator[DestinationDefinition]:
    """Make a definition available under its slug while the block runs, as if installed.

    For tests and for embedding eventyard; a plugin registers through the entry point.
    """
    if definition.slug in type_names():
        raise ValueError(f"destination type {definition.slug!r} is already installed")
    _registered[definition.slug] = definition
    get_definition.cache_clear()
    try:
        yield definition
    finally:
        del _registered[definition.slug]
        get_definition.cache_clear()


def masked_payload(slug: str, action: str, payload: bytes) -> bytes:
    """A stored mapped payload as shown to people (dead letters): its credential fields,
    such as Slack's webhook `url`, masked. The stored copy keeps them, so that a retried
    dead letter still reaches its webhook. An unknown action masks every action's."""
    try:
        actions = get_definition(slug).actions
    except ConfigError:
        return payload
    chosen = [actions[action]] if action in actions else list(actions.values())
    hidden = frozenset().union(*(secret_mapping_fields(a) for a in chosen))
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    if not isinstance(doc, dict) or not hidden & doc.keys():
        return payload
    return orjson.dumps({k: SECRET_MASK if k in hidden else v for k, v in doc.items()})
