"""What an ad destination declares about its platform's conversions API.

The pipeline (consent, default events, event age) and the match-quality report read this
instead of knowing each platform: adding a platform is adding one `ConversionSpec`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.conversions.canonical import CANONICAL_NAMES

__all__ = ["CLICK_ID_KEYS", "IDENTIFIER_KEYS", "USER_KEYS", "ConversionSpec"]

USER_KEYS = (
    "email",
    "phone",
    "external_id",
    "first_name",
    "last_name",
    "city",
    "state",
    "zip",
    "country",
    "gender",
    "date_of_birth",
)
"""The keys of `conversion.user`, as the pipeline contract names them."""
CLICK_ID_KEYS = (
    "fbc",
    "fbp",
    "gclid",
    "gbraid",
    "wbraid",
    "ttclid",
    "ttp",
    "sc_click_id",
    "sc_cookie1",
    "epik",
    "rdt_cid",
    "rdt_uuid",
    "ga_client_id",
)
"""The keys of `conversion.click_ids`: click IDs from landing URLs and first-party cookies."""
IDENTIFIER_KEYS = frozenset((*USER_KEYS, "ip", "user_agent", *CLICK_ID_KEYS))
"""Every key a `ConversionSpec` may weigh or require."""


@dataclass(frozen=True, slots=True)
class ConversionSpec:
    """Declared by each ad destination as `DestinationDefinition.conversion`."""

    platform: str
    """"meta" | "google_analytics_4" | "google_ads" | "tiktok" | "snap" | "pinterest" | "reddit"."""
    default_events: frozenset[str]
    """Canonical names sent when a destination sets no `conversion_events`."""
    match_weights: Mapping[str, float]
    """Identifier key -> weight in the local match-quality score (see match_quality)."""
    minimum: tuple[frozenset[str], ...] = ()
    """The platform's minimum identifiers: any one of these sets, all present, satisfies it."""
    limited_mode: bool = False
    """Whether the platform has a limited-data-use mode (Meta LDU, Google consent signals)."""
    max_age: float | None = None
    """Seconds; older events are dropped (TerminalError) instead of retried."""
    settings_events: Callable[[Any], frozenset[str]] | None = None
    """When what a destination can send depends on its settings: its decoded settings -> the
    canonical names sent by default, instead of `default_events` (Google Ads: the events
    with a conversion action)."""

    def __post_init__(self) -> None:
        # A typo here would silently zero a weight or make a minimum unsatisfiable: fail at import.
        unknown_events = self.default_events - CANONICAL_NAMES
        if unknown_events:
            raise ValueError(f"{self.platform}: unknown canonical events {sorted(unknown_events)}")
        named = set(self.match_weights).union(*self.minimum)
        unknown_keys = named - IDENTIFIER_KEYS
        if unknown_keys:
            raise ValueError(f"{self.platform}: unknown identifier keys {sorted(unknown_keys)}")
