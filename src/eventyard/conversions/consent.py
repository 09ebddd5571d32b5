"""Consent: what the event says the user allowed, and what that means for one destination.

Sources: Segment Consent Management (`context.consent.categoryPreferences`, category -> bool),
Google Consent Mode v2 signals (`ad_user_data`, `ad_personalization`), and where the user is
(`context.consent.region`, else `context.location`) for regional limited-data-use rules.

Segment's rules ("Consent in Segment Connections"): an event without `categoryPreferences`
(no `context.consent`, or an empty one) is not subject to consent; once the object is there,
a category is consented only when it is `true` in it: a category it leaves out, and every
category of an empty object, is refused. Category names are compared exactly (Segment's
categoryId is case-sensitive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eventyard.conversions import identity
from eventyard.conversions.reading import dig, text
from eventyard.conversions.spec import ConversionSpec

__all__ = ["ConsentDecision", "ConsentState", "decide"]

_GRANTS = {"granted": True, "true": True, "denied": False, "false": False}


def _signal(value: object) -> bool | None:
    """A Consent Mode signal: a bool or "granted"/"denied" (any case), else unknown."""
    if isinstance(value, bool):
        return value
    word = text(value)
    return _GRANTS.get(word.lower()) if word else None


def _signal_at(consent: object, *keys: str) -> bool | None:
    for key in keys:
        found = _signal(dig(consent, key))
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The consent an event carries; unknown is None."""

    categories: Mapping[str, bool]
    stated: bool = False
    """The event carries a `categoryPreferences` object (then consent is enforced)."""
    ad_user_data: bool | None = None
    ad_personalization: bool | None = None
    country: str | None = None
    """Upper-case ISO-3166 alpha-2."""
    state: str | None = None
    """Upper-case subdivision code within `country` (`CA` for California)."""

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ConsentState:
        consent = dig(event, "context", "consent")
        preferences = dig(consent, "categoryPreferences")
        categories: dict[str, bool] = {}
        stated = isinstance(preferences, Mapping)
        if isinstance(preferences, Mapping):
            categories = {
                key: value
                for key, value in list(preferences.items())[:100]
                if isinstance(key, str) and isinstance(value, bool)
            }
        country, state = _region(event)
        return cls(
            categories=categories,
            stated=stated,
            ad_user_data=_signal_at(consent, "ad_user_data", "adUserData"),
            ad_personalization=_signal_at(consent, "ad_personalization", "adPersonalization"),
            country=country,
            state=state,
        )

    def category(self, name: str) -> bool | None:
        """Whether the user consented to a category (exact name; one left out of a stated
        `categoryPreferences` is refused); None when the event states no preferences."""
        if not self.stated:
            return None
        return self.categories.get(name) is True

    @property
    def region(self) -> str | None:
        """`US-CA` form when the state is known, else the country."""
        if self.country and self.state:
            return f"{self.country}-{self.state}"
        return self.country

    def as_dict(self) -> dict[str, Any]:
        """The `consent` object of `context.eventyard.conversion`."""
        return {
            "categories": dict(self.categories),
            "ad_user_data": self.ad_user_data,
            "ad_personalization": self.ad_personalization,
            "country": self.country,
            "state": self.state,
        }


def _region(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    declared = text(dig(event, "context", "consent", "region"))
    if declared:
        country_part, _, state_part = declared.partition("-")
        country = identity.country(country_part)
        state = identity.state(state_part) if country and state_part else None
    else:
        country = identity.country(text(dig(event, "context", "location", "country")) or "")
        state = identity.state(text(dig(event, "context", "location", "region")) or "")
    if country is None:
        return None, None
    return country.upper(), state.upper() if state else None


@dataclass(frozen=True, slots=True)
class ConsentDecision:
    action: Literal["send", "limited", "suppress"]
    reason: str
    """Said in traces and drop counts, so a user can tell why an event was not sent."""


def decide(
    state: ConsentState,
    needed: Sequence[str],
    fallback: Literal["suppress", "limited"],
    spec: ConversionSpec | None,
    limited_regions: Sequence[str],
) -> ConsentDecision:
    """Whether to send an event to one destination, in its platform's limited mode, or not.

    As Segment does: an event that states no preferences is sent (sites without a consent
    tool still flow); one that does is sent only when every needed category is `true` in it.
    A refused category suppresses the event, or sends it in limited mode when the
    destination's fallback is `limited` and its platform has one. A region listed in
    `limited_regions` (`US`, `US-CA`) sends in limited mode where the platform has one.
    """
    can_limit = spec is not None and spec.limited_mode
    denied = [name for name in needed if state.category(name) is False]
    if denied:
        reason = f"consent denied for {', '.join(denied)}"
        if fallback == "limited" and can_limit:
            return ConsentDecision("limited", f"{reason}; sent in limited-data-use mode")
        if fallback == "limited":
            return ConsentDecision("suppress", f"{reason}; the platform has no limited mode")
        return ConsentDecision("suppress", reason)
    region = state.region
    listed = {entry.strip().upper() for entry in limited_regions}
    matched = next((r for r in (region, state.country) if r and r in listed), None)
    if matched and can_limit:
        return ConsentDecision("limited", f"region {matched} is in conversions.limited_regions")
    return ConsentDecision("send", "no needed consent category denied")
