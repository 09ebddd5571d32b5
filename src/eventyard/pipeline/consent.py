"""Consent per destination: the categories it needs, and what a refusal does there.

A destination needs the `consent_categories` its configuration names, and no other: as in
Segment, a destination is mapped to no category until someone maps it (a type's
`consent_category` is only what the UI suggests). An event whose
`context.consent.categoryPreferences` does not grant every one of them (Segment's rules:
`eventyard.conversions.consent`) is not sent there, or is sent in the platform's
limited-data-use mode when the destination's `consent_fallback` is `limited` (and the
platform has one); `conversions.limited_regions` send in limited mode without a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from eventyard.control.config import ConversionsSettings, DestinationConfig
from eventyard.conversions.consent import ConsentDecision, ConsentState, decide
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition

__all__ = ["ConsentRules", "Refused", "compile_consent", "refusal"]


@dataclass(frozen=True, slots=True)
class Refused:
    """Why an event does not go to a destination: a trace step, its short reason (counted),
    and the detail a person reads in the trace."""

    step: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class ConsentRules:
    needed: tuple[str, ...]
    fallback: Literal["suppress", "limited"]
    limited_regions: tuple[str, ...]
    spec: ConversionSpec | None
    """The platform's conversions API, if any (whether it has a limited mode)."""

    def decide(self, state: ConsentState) -> ConsentDecision:
        return decide(state, self.needed, self.fallback, self.spec, self.limited_regions)


def compile_consent(
    dest: DestinationConfig, definition: DestinationDefinition, settings: ConversionsSettings
) -> ConsentRules:
    needed = tuple(dict.fromkeys(dest.consent_categories or ()))
    return ConsentRules(
        needed, dest.consent_fallback, tuple(settings.limited_regions), definition.conversion
    )


def refusal(decision: ConsentDecision, rules: ConsentRules) -> Refused:
    """The `consent` trace step of a suppressed event; the decision's reason is counted."""
    needs = ", ".join(rules.needed)
    detail = f"{decision.reason} (context.consent; this destination needs {needs})"
    return Refused("consent", decision.reason, detail)
