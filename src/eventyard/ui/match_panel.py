"""The conversion panels of a destination's delivery page: match quality (ad destinations)
and the payloads an observe-mode destination built instead of sending them.

Both read what the conversions pipeline keeps in state.db (`eventyard.conversions.store`):
match-quality aggregates per destination, UTC day and canonical event, and observed payloads.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from markupsafe import Markup

from eventyard.control.config import DestinationConfig
from eventyard.control.context import ServerContext
from eventyard.conversions import store
from eventyard.conversions.match_quality import Aggregate
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.registry import masked_payload
from eventyard.ui.jsonview import payload_view

__all__ = [
    "OBSERVED",
    "MatchPanel",
    "ObservedView",
    "identifier_label",
    "match_panel",
    "observed_panel",
]

OBSERVED = 10
"""Observed payloads shown (newest first)."""

_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "external_id": "External ID (userId, else anonymousId)",
    "first_name": "First name",
    "last_name": "Last name",
    "zip": "ZIP / postal code",
    "date_of_birth": "Date of birth",
    "ip": "IP address",
    "user_agent": "User agent",
    "fbc": "Meta click ID (fbc)",
    "fbp": "Meta browser ID (fbp)",
    "gclid": "Google click ID (gclid)",
    "ttclid": "TikTok click ID (ttclid)",
    "ga_client_id": "GA client ID",
}


def identifier_label(key: str) -> str:
    """What people call an identifier key of the ConversionSpec vocabulary."""
    return _LABELS.get(key, key.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class MatchPanel:
    platform: str
    total: Aggregate
    by_event: list[tuple[str, Aggregate]]
    """Per canonical event (purchase, lead...), most conversions first."""
    since_day: str
    """The UTC day the aggregates start (they are kept per day)."""


async def match_panel(
    ctx: ServerContext, destination: str, definition: DestinationDefinition, since: float
) -> MatchPanel | None:
    """None for destination types without a conversions API (no panel at all)."""
    spec = definition.conversion
    if spec is None:
        return None

    def read(conn: sqlite3.Connection) -> tuple[Aggregate, dict[str, Aggregate]]:
        return (
            store.summary(conn, destination, since),
            store.match_quality_by_event(conn, destination, since),
        )

    total, by_event = await ctx.state.run(read)
    ranked = sorted(by_event.items(), key=lambda item: (-item[1].count, item[0]))
    return MatchPanel(spec.platform, total, ranked, store.day_of(since))


@dataclass(frozen=True, slots=True)
class ObservedView:
    payload: store.Observed
    preview: str
    body: Markup


async def observed_panel(ctx: ServerContext, dest: DestinationConfig) -> list[ObservedView] | None:
    """The newest payloads of an observe-mode destination; None when it sends for real."""
    if dest.mode != "observe":
        return None
    kept = await ctx.state.run(lambda conn: store.observed(conn, dest.name, OBSERVED))
    return [
        ObservedView(x, *payload_view(masked_payload(dest.type, x.action, x.payload))) for x in kept
    ]
