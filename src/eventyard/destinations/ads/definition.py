"""An ad destination's declaration: its ConversionSpec and its DestinationDefinition.

Every ad platform here takes conversions in any order (it orders them by their event time, so
batches may go in parallel), needs the user's Advertising consent (GA4 says Analytics), and has
a limited-data-use mode. What differs, each destination declares: the events it has names for,
its match weights and minimum identifiers, the age past which it refuses an event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition

__all__ = ["ad_destination", "conversion_spec"]


def conversion_spec(
    platform: str,
    takes: Iterable[str],
    weights: Mapping[float, str],
    minimum: Sequence[str] = (),
    max_age: float | None = None,
    settings_events: Callable[[Any], frozenset[str]] | None = None,
) -> ConversionSpec:
    """The platform's ConversionSpec, written compactly.

    - `takes`: the canonical events the platform can take; the revenue and lead events among
      them are sent by default.
    - `weights`: identifier keys by weight, space-separated: `{3: "email phone", 1: "ip"}`.
    - `minimum`: the documented minimum, each entry a set of keys: `("email", "ip user_agent")`.
    - `settings_events`: see ConversionSpec (what is sent by default may depend on settings).
    """
    return ConversionSpec(
        platform=platform,
        default_events=(REVENUE_EVENTS | LEAD_EVENTS) & frozenset(takes),
        match_weights={key: weight for weight, keys in weights.items() for key in keys.split()},
        minimum=tuple(frozenset(keys.split()) for keys in minimum),
        limited_mode=True,
        max_age=max_age,
        settings_events=settings_events,
    )


ad_destination = partial(DestinationDefinition, ordered=False, consent_category="Advertising")
"""DestinationDefinition for an ad platform: unordered, gated by Advertising consent."""
