"""A local match-quality score: which identifiers reach each platform, before the platform says.

Platforms publish no per-key formula (Meta's EMQ is computed on their side), so this is the
heuristic of conversions.md §8.7: weights per identifier declared by each destination's
ConversionSpec, scored 0..10, with the identifiers missing listed most valuable first and the
platform's documented minimum checked. Aggregates add up exactly, so the pipeline can keep
one per destination and event name and persist it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventyard.conversions import identity
from eventyard.conversions.reading import dig, text
from eventyard.conversions.spec import CLICK_ID_KEYS, ConversionSpec

__all__ = ["Aggregate", "MatchScore", "identifiers_present", "score"]

_CHECKS: dict[str, Callable[[str], str | None]] = {
    "email": identity.email_basic,
    "external_id": identity.external_id,
    "first_name": identity.name,
    "last_name": identity.name,
    "city": identity.city,
    "state": identity.state,
    "country": identity.country,
    "gender": identity.gender,
    "date_of_birth": identity.date_of_birth,
}
"""A user value counts only if it normalizes: an email without `@` matches nobody."""


def identifiers_present(conversion: Mapping[str, Any]) -> frozenset[str]:
    """The identifier keys (ConversionSpec vocabulary) a conversion object carries usably."""
    user = dig(conversion, "user")
    present = {key for key, check in _CHECKS.items() if check(text(dig(user, key)) or "")}
    country = identity.user_country(conversion)
    if identity.phone_e164(text(dig(user, "phone")) or "", country):
        present.add("phone")  # a national number is read in the user's country
    if identity.zip_code(text(dig(user, "zip")) or "", country):
        present.add("zip")  # a US ZIP code must have 5 digits
    present.update(key for key in ("ip", "user_agent") if text(conversion.get(key)))
    present.update(key for key in CLICK_ID_KEYS if text(dig(conversion, "click_ids", key)))
    return frozenset(present)


@dataclass(frozen=True, slots=True)
class MatchScore:
    score: float
    """0..10, one decimal: the share of the platform's identifier weight present."""
    missing: tuple[str, ...]
    """Weighted identifiers not present, most valuable first: what to add to match better."""
    meets_minimum: bool
    """Whether the platform's minimum identifier set is present (else it may reject)."""


def score(present: frozenset[str], spec: ConversionSpec) -> MatchScore:
    """Score the identifiers present against one platform's weights and minimum."""
    weights = spec.match_weights
    total = sum(weights.values())
    got = sum(weight for key, weight in weights.items() if key in present)
    missing = sorted((key for key in weights if key not in present), key=lambda k: (-weights[k], k))
    return MatchScore(
        score=round(10 * got / total, 1) if total > 0 else 10.0,
        missing=tuple(missing),
        meets_minimum=not spec.minimum or any(needed <= present for needed in spec.minimum),
    )


@dataclass(slots=True)
class Aggregate:
    """Scores added up (per destination and event name, say): exact to merge and persist."""

    count: int = 0
    score_sum: float = 0.0
    meeting_minimum: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    """How many scored events lacked each identifier."""

    def add(self, result: MatchScore) -> None:
        self.count += 1
        self.score_sum += result.score
        self.meeting_minimum += result.meets_minimum
        self.missing.update(result.missing)

    def merge(self, other: Aggregate) -> None:
        self.count += other.count
        self.score_sum += other.score_sum
        self.meeting_minimum += other.meeting_minimum
        self.missing.update(other.missing)

    @property
    def mean(self) -> float:
        """The mean score, one decimal; 0 before any event."""
        return round(self.score_sum / self.count, 1) if self.count else 0.0

    @property
    def share_meeting_minimum(self) -> float:
        """0..1; 0 before any event."""
        return self.meeting_minimum / self.count if self.count else 0.0

    def missing_shares(self) -> list[tuple[str, float]]:
        """(identifier, share of events lacking it), most often missing first."""
        ranked = sorted(self.missing.items(), key=lambda item: (-item[1], item[0]))
        return [(key, count / self.count) for key, count in ranked]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for persisting; `from_dict` reads it back."""
        return {
            "count": self.count,
            "score_sum": self.score_sum,
            "meeting_minimum": self.meeting_minimum,
            "missing": dict(self.missing),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Aggregate:
        missing = data.get("missing")
        return cls(
            count=int(data.get("count", 0)),
            score_sum=float(data.get("score_sum", 0.0)),
            meeting_minimum=int(data.get("meeting_minimum", 0)),
            missing=Counter(
                {str(k): int(v) for k, v in missing.items()} if isinstance(missing, Mapping) else {}
            ),
        )
