"""Merge protection: per-type limits, the priority that decides what gives way, and caps.

As Segment documents it (segment.md §5.2): a profile holds at most `limit` values of each
identifier type (user_id 1, every other type 5, unless configured); when attaching an event
would break a limit, the event's lowest-priority identifier is dropped and matching is tried
again, until the result is allowed. Default priority: user_id, email, then the other types
alphabetically. Caps: 1,000 identifiers and 100 merges per profile (events still resolve
to a capped profile; it just stops growing).

Limits are "ever": every rule here only looks at counts that never shrink, which is what
makes a repeated identifier set a no-op and the graph a function of the events (graph.py).
"""

from __future__ import annotations

from collections import Counter

from eventyard.control.profiles_config import DEFAULT_LIMITS, ProfilesSettings
from eventyard.profiles.identifiers import Ident

__all__ = ["DEFAULT_LIMIT", "MAX_IDENTITIES", "MAX_MERGES", "Rules"]

DEFAULT_LIMIT = 5
MAX_IDENTITIES = 1000
MAX_MERGES = 100
_DEFAULT_PRIORITY = ("user_id", "email")


class Rules:
    def __init__(self, settings: ProfilesSettings) -> None:
        self.limits = {**DEFAULT_LIMITS, **settings.limits}
        order = settings.priority or list(_DEFAULT_PRIORITY)
        self._rank = {kind: index for index, kind in enumerate(order)}

    def limit(self, kind: str) -> int:
        return self.limits.get(kind, DEFAULT_LIMIT)

    def order(self, ident: Ident) -> tuple[int, str, str]:
        """Sort key: highest priority first; unlisted types alphabetically after the listed."""
        return (self._rank.get(ident[0], len(self._rank)), ident[0], ident[1])

    def violation(self, counts: Counter[str], merges: int) -> str | None:
        """Why a profile with these identifier counts and merges is not allowed, or None."""
        for kind, count in sorted(counts.items()):
            limit = self.limit(kind)
            if count > limit:
                return f"{kind} limit {limit}: the profile would have {count}"
        total = sum(counts.values())
        if total > MAX_IDENTITIES:
            return f"at most {MAX_IDENTITIES:,} identifiers per profile"
        if merges > MAX_MERGES:
            return f"at most {MAX_MERGES} merges per profile"
        return None
