"""Which destinations get an event: enabled, connected to its source, and not switched off
by the event's Segment `integrations` object (`{"All": false, "Mixpanel": true}`).

A key of `integrations` names a destination as Segment does (keys are case-sensitive):
- the destination's own name in eventyard.yaml (`my-hook`) decides first;
- else one of its type's names (`DestinationDefinition.name` and `catalog_names`:
  "Mixpanel", "Actions Amplitude", "Facebook Conversions API", ...) applies to every
  destination of that type; when several of them are keys, a `false` among them wins;
- else `All` (default true).
Any value other than `false` (true, or an options object such as
`{"Actions Amplitude": {"session_id": 1}}`, which mappings read) switches a destination on.
Other keys, `Segment.io` among them, address nothing here: storage (archive, warehouses)
never reads the object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventyard.control.config import Config

__all__ = ["Choice", "choose", "integrations_of", "routes", "type_keys"]


def routes(config: Config) -> dict[str, list[str]]:
    """Source name -> names of the enabled destinations connected to it, in config order.

    A tracking plan's source is in the table even without a destination (an empty list):
    its events are still checked, counted and forwarded."""
    table: dict[str, list[str]] = {}
    for dest in config.destinations:
        if dest.enabled:
            for source in dest.sources:
                table.setdefault(source, []).append(dest.name)
    for plan in config.tracking_plans:
        for source in plan.sources:
            table.setdefault(source, [])
    return table


def integrations_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The event's `integrations` object, or None."""
    value = event.get("integrations")
    return value if isinstance(value, dict) else None


def type_keys(name: str, catalog_names: Sequence[str]) -> dict[str, str]:
    """The `integrations` keys that address a destination type, each with what it is (for
    traces): the type's display name and Segment's catalog names."""
    keys = {key: "catalog name" for key in catalog_names}
    keys.setdefault(name, "type name")
    return keys


@dataclass(frozen=True, slots=True)
class Choice:
    """Whether an event goes to a destination, and the `integrations` key that decided (None
    when nothing in the object did: the destination is on by default)."""

    send: bool
    key: str | None = None
    value: Any = None
    kind: str = ""

    @property
    def note(self) -> str:
        """`integrations: "Mixpanel": true (catalog name)`, what a trace shows."""
        if self.key is None:
            return ""
        if isinstance(self.value, dict):
            shown = "an options object"
        else:
            shown = json.dumps(self.value, default=str)
            shown = shown if len(shown) <= 40 else f"{shown[:37]}..."
        kind = f" ({self.kind})" if self.kind else ""
        return f'integrations: "{self.key}": {shown}{kind}'


def choose(
    integrations: Mapping[str, Any] | None, name: str, type_keys: Mapping[str, str]
) -> Choice:
    """The `integrations` decision for the destination `name` of a type addressed by
    `type_keys` (see `type_keys`)."""
    if not integrations:
        return Choice(True)
    if name in integrations:
        value = integrations[name]
        return Choice(value is not False, name, value, "destination name")
    found = [key for key in type_keys if key in integrations]
    if found:
        key = next((k for k in found if integrations[k] is False), found[0])
        return Choice(integrations[key] is not False, key, integrations[key], type_keys[key])
    if "All" in integrations:
        value = integrations["All"]
        return Choice(value is not False, "All", value)
    return Choice(True)
