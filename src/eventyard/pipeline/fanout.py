"""Which destinations get an event: enabled, connected to its source, and not switched off
by the event's Segment `integrations` object (`{"All": false, "my-hook": true}`).

Keys of `integrations` are destination names, case-sensitive; `All` defaults to true; any
value other than `false` (true, or an options object) switches a destination on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.control.config import Config

__all__ = ["integrations_of", "routes", "targets"]


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


def targets(connected: Sequence[str], event: Mapping[str, Any]) -> list[str]:
    """The connected destinations this event goes to after its `integrations` opt-outs/ins."""
    integrations = integrations_of(event)
    if not integrations:
        return list(connected)
    default = integrations.get("All", True) is not False
    return [name for name in connected if integrations.get(name, default) is not False]
