"""Flat matching with merge protection, on an in-memory part of the identity graph.

`Graph.resolve(ids, key)` is Segment's algorithm (segment.md §5.2) for one event: find the
profiles holding any of its identifiers; none -> a new profile; one -> attach; several ->
merge into the OLDEST (its id wins; the others stay resolvable as aliases). When the result
would break a limit, the event's lowest-priority identifier is dropped and matching starts
again. An identifier that was dropped but belongs to no profile yet still joins the event's
profile when its limits allow.

Why the result depends only on the SET of events: events are applied in (timestamp,
messageId) order (store: an event older than its part of the graph replays that part), and
an identifier set seen before is a no-op when seen again later. That holds because every
rule only counts things that never shrink: profiles only grow, so a merge refused once is
refused forever, and an accepted one leaves nothing to do. So the graph keeps each distinct
identifier set once, at its first occurrence (a "link"), and replaying the links of a part
in order rebuilds exactly what in-order arrival would have built.

Profile ids are derived from the messageId of the event that created the profile, so a
replay gives every profile the id it had before, and two stores fed the same events in
any order name their profiles alike.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eventyard.profiles.identifiers import Ident
from eventyard.profiles.merge_protection import Rules

__all__ = ["Block", "Graph", "Key", "Member", "Merge", "Outcome", "ProfileState", "profile_id_for"]

Key = tuple[float, str]
"""(event time as Unix seconds, messageId): the order events are applied in."""

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
"""Base62 two digits at a time (0..3843): half the big-number divisions."""


_KSUID_EPOCH = 1_400_000_000


def profile_id_for(key: Key) -> str:
    """`use_` + a KSUID (27 base62 characters, Segment's form) made of the creating event's
    time and a hash of its messageId: stable across replays, and ordered by time, so that
    new profiles land at the end of every index on profile ids."""
    seconds = min(max(int(key[0]) - _KSUID_EPOCH, 0), 2**32 - 1)
    digest = hashlib.sha256(b"profile:" + key[1].encode("utf-8", "surrogatepass")).digest()
    number = (seconds << 128) | int.from_bytes(digest[:16])
    number, last = divmod(number, 62)
    pairs = []
    for _ in range(13):
        number, pair = divmod(number, 3844)
        pairs.append(_PAIRS[pair])
    return "use_" + "".join(reversed(pairs)) + _ALPHABET[last]


@dataclass(slots=True)
class Member:
    """Why an identifier is on its profile."""

    profile: str
    added_at: float
    added_by: str
    """The messageId of the event that put it there."""
    via: Ident | None
    """An identifier of that event already on the profile (or the event's first one)."""


@dataclass(slots=True)
class ProfileState:
    created: Key
    merges: int
    members: set[Ident] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Merge:
    kept: str
    merged: str
    key: Key
    linked: tuple[Ident, ...]
    """The event's identifiers that joined the two profiles."""


@dataclass(frozen=True, slots=True)
class Block:
    """Merge protection kept `dropped` off `profile`."""

    profile: str
    dropped: Ident
    reason: str
    key: Key
    holder: str | None
    """The profile that holds `dropped`, if any."""


@dataclass(slots=True)
class Outcome:
    target: str
    created: bool = False
    added: list[Ident] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


class Graph:
    """Profiles and their identifiers: the touched part (store) or a whole replayed part."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.members: dict[Ident, Member] = {}
        self.profiles: dict[str, ProfileState] = {}
        self.merged_into: dict[str, str] = {}

    def load(self, profile: str, state: ProfileState, members: dict[Ident, Member]) -> None:
        self.profiles[profile] = state
        self.members.update(members)

    def canonical(self, profile: str) -> str:
        while profile in self.merged_into:
            profile = self.merged_into[profile]
        return profile

    def resolve(self, ids: Sequence[Ident], key: Key) -> Outcome:
        incoming = sorted(set(ids), key=self.rules.order)
        dropped: list[tuple[Ident, str]] = []
        while True:
            matched = self._matched(incoming)
            reason = self._violation(matched, incoming)
            if reason is None:
                break
            dropped.append((incoming.pop(), reason))
        if matched:
            outcome = Outcome(matched[0])
            for other in matched[1:]:
                self._merge(outcome, other, incoming, key)
        else:
            outcome = Outcome(profile_id_for(key), created=True)
            self.profiles[outcome.target] = ProfileState(key, 0)
        anchor = next((i for i in incoming if i in self.members), incoming[0])
        for ident in incoming:
            if ident not in self.members:
                self._add(outcome, ident, key, None if ident == anchor else anchor)
        for ident, reason in reversed(dropped):
            holder = self.members.get(ident)
            if holder is None and self._violation([outcome.target], [ident]) is None:
                self._add(outcome, ident, key, anchor)
            elif holder is None or holder.profile != outcome.target:
                who = None if holder is None else holder.profile
                outcome.blocks.append(Block(outcome.target, ident, reason, key, who))
        return outcome

    def _matched(self, incoming: Iterable[Ident]) -> list[str]:
        found = {self.members[i].profile for i in incoming if i in self.members}
        return sorted(found, key=lambda p: self.profiles[p].created)

    def _violation(self, matched: list[str], incoming: list[Ident]) -> str | None:
        new = [i for i in incoming if i not in self.members]
        if len(matched) <= 1 and not new:
            return None  # nothing would change
        counts: Counter[str] = Counter(kind for kind, _ in new)
        merges = len(matched) - 1
        for profile in matched:
            state = self.profiles[profile]
            counts.update(kind for kind, _ in state.members)
            merges += state.merges
        return self.rules.violation(counts, merges)

    def _merge(self, outcome: Outcome, other: str, incoming: list[Ident], key: Key) -> None:
        target = self.profiles[outcome.target]
        gone = self.profiles.pop(other)
        for ident in gone.members:
            self.members[ident].profile = outcome.target
        target.members |= gone.members
        target.merges += gone.merges + 1
        self.merged_into[other] = outcome.target
        linked = tuple(i for i in incoming if i in self.members)
        outcome.merges.append(Merge(outcome.target, other, key, linked))

    def _add(self, outcome: Outcome, ident: Ident, key: Key, via: Ident | None) -> None:
        self.members[ident] = Member(outcome.target, key[0], key[1], via)
        self.profiles[outcome.target].members.add(ident)
        outcome.added.append(ident)
