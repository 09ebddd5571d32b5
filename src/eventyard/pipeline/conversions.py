"""The consent and conversions stage: what an event may be, per destination, before the
destination's filters, subscriptions and mappings.

Consent applies to every destination (`pipeline.consent`). Ad destinations (a definition
with a `conversion` spec) then get only canonical conversion events of their allowlist, each
on a COPY of the event carrying `context.eventyard.conversion` (click IDs merged with those
remembered for the user), not older than the platform accepts, and at most once per
(destination, event_id) within `conversions.dedup_window`, so the same order sent by the
browser and the backend is one conversion. What a destination's plan queues is scored for
match quality and written to the ledger that `eventyard compare` reads.

Every decision is a function of the event, the configuration and the state tables read in
the same transaction as the writes, so routing a record again after a crash decides the same.
Without a connection (replays) the stage keeps no memory: no remembered click IDs, no
cross-route dedup, no ledger.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.control.config import (
    Config,
    ConversionsSettings,
    DestinationConfig,
    decode_settings,
)
from eventyard.conversions import click_ids, ledger, store
from eventyard.conversions.canonical import CANONICAL_NAMES, canonical_name
from eventyard.conversions.consent import ConsentDecision, ConsentState
from eventyard.conversions.enrich import build_conversion
from eventyard.conversions.match_quality import Aggregate, MatchScore, identifiers_present, score
from eventyard.conversions.reading import dig, text
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition
from eventyard.log.base import LogRecord
from eventyard.pipeline.consent import ConsentRules, Refused, compile_consent, refusal
from eventyard.pipeline.destination_filter import PlanError

__all__ = ["Admitted", "ConversionStage", "EventConversions", "Rules", "compile_rules"]

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rules:
    """One destination's consent and conversion rules, compiled with its plan."""

    consent: ConsentRules
    allowed: frozenset[str]
    """Canonical names sent (ad destinations): `conversion_events`, else the spec's default
    (for some platforms, from the destination's settings)."""
    aliases: Mapping[str, str]
    dedup_window: float
    mode: str

    @property
    def spec(self) -> ConversionSpec | None:
        return self.consent.spec

    @property
    def open(self) -> bool:
        """Nothing to decide: no consent category needed and no conversions API."""
        return not self.consent.needed and self.consent.spec is None


def _default_events(dest: DestinationConfig, definition: DestinationDefinition) -> frozenset[str]:
    """What an ad destination sends without `conversion_events` (its settings were validated
    with the configuration, so they decode)."""
    spec = definition.conversion
    if spec is None:
        return frozenset()
    if spec.settings_events is None:
        return spec.default_events
    return spec.settings_events(decode_settings(definition, dest.settings))


def compile_rules(
    dest: DestinationConfig, definition: DestinationDefinition, settings: ConversionsSettings
) -> Rules:
    """A destination's rules; raises PlanError for `conversion_events` it cannot use."""
    if dest.conversion_events is None:
        allowed = _default_events(dest, definition)
    else:
        if definition.conversion is None:
            raise PlanError(
                ".conversion_events", f"{definition.slug} is no conversions API; remove the key"
            )
        for i, name in enumerate(dest.conversion_events):
            if name not in CANONICAL_NAMES:
                known = ", ".join(sorted(CANONICAL_NAMES))
                raise PlanError(
                    f".conversion_events[{i}]", f"{name!r} is no canonical event; use {known}"
                )
        allowed = frozenset(dest.conversion_events)
    return Rules(
        consent=compile_consent(dest, definition, settings),
        allowed=allowed,
        aliases=settings.aliases,
        dedup_window=float(settings.dedup_window),
        mode=dest.mode,
    )


@dataclass(frozen=True, slots=True)
class _Pending:
    """An admitted conversion, recorded once the destination's plan has queued it."""

    name: str
    conversion: Mapping[str, Any]
    decision: ConsentDecision
    match: MatchScore
    mode: str


@dataclass(frozen=True, slots=True)
class Admitted:
    """The event to route (for ad destinations, a copy carrying the conversion object)."""

    event: Event
    pending: _Pending | None = None


def with_conversion(event: Event, conversion: Mapping[str, Any]) -> Event:
    """A copy of `event` with `context.eventyard.conversion` set (the original is shared by
    every destination, so only the objects on that path are copied)."""
    context = event.get("context")
    context = dict(context) if isinstance(context, dict) else {}
    ours = context.get("eventyard")
    context["eventyard"] = {**(ours if isinstance(ours, dict) else {}), "conversion": conversion}
    return {**event, "context": context}


class ConversionStage:
    """The stage for one batch of records, reading and writing state on `conn` (None: no
    state, as for replays). Call `finish` once, in the same transaction, after the batch."""

    def __init__(
        self,
        conn: sqlite3.Connection | None,
        now: float,
        *,
        remember: bool = False,
        dedup_window: float = 0.0,
        retention: float = 0.0,
    ) -> None:
        self.conn = conn
        self.now = now
        self.remember = remember
        """Capture click IDs of every event (some destination is an ad one)."""
        self._dedup_window = dedup_window
        self._retention = retention
        self._ledger: list[ledger.Entry] = []
        self._scores: dict[tuple[str, str], Aggregate] = {}

    @classmethod
    def for_batch(
        cls, conn: sqlite3.Connection, now: float, rules: Iterable[Rules], config: Config
    ) -> ConversionStage:
        return cls(
            conn,
            now,
            remember=any(r.spec is not None for r in rules),
            dedup_window=float(config.conversions.dedup_window),
            retention=float(config.pipeline.trace_retention),
        )

    def event(self, record: LogRecord, event: Event) -> EventConversions:
        """One event's view of the stage; with `remember`, its click IDs are kept now."""
        found = EventConversions(self, record, event)
        if self.remember and self.conn is not None:
            found.remember()
        return found

    def sent(self, destination: str, event_id: str, window: float) -> str | None:
        if self.conn is None:
            return None
        return store.sent_within(self.conn, destination, event_id, self.now - window)

    def record(self, entry: ledger.Entry, match: MatchScore | None) -> None:
        if self.conn is None:
            return
        self._ledger.append(entry)
        if match is not None:
            key = (entry.destination, entry.name)
            self._scores.setdefault(key, Aggregate()).add(match)
        if entry.consent != "suppress":
            store.mark_sent(
                self.conn, entry.destination, entry.event_id, entry.message_id, self.now
            )

    def finish(self) -> None:
        """Write the batch's ledger rows and match-quality sums; forget expired state."""
        if self.conn is None:
            return
        ledger.record(self.conn, self._ledger)
        day = store.day_of(self.now)
        for (destination, name), aggregate in self._scores.items():
            store.add_match_quality(self.conn, destination, day, name, aggregate)
        store.purge(self.conn, self.now, self._dedup_window, self._retention)
        ledger.purge(self.conn, self.now - self._retention)


class EventConversions:
    """One event in the stage: consent state, canonical name, click IDs and conversion
    object are worked out once, on first use, and shared by its destinations."""

    def __init__(self, stage: ConversionStage, record: LogRecord, event: Event) -> None:
        self.stage = stage
        self.record = record
        self.event = event
        self._consent: ConsentState | None = None
        self._captured: dict[str, str] | None = None
        self._click_ids: dict[str, str] | None = None
        self._conversions: dict[str, dict[str, Any]] = {}

    def _identities(self) -> list[tuple[str, str]]:
        user, anonymous = text(self.event.get("userId")), text(self.event.get("anonymousId"))
        return [(k, v) for k, v in (("user", user), ("anonymous", anonymous)) if v is not None]

    def remember(self) -> None:
        """Keep captured click IDs (and link an anonymousId's to a userId) for later events."""
        if self._captured is None:
            self._captured = click_ids.capture(self.event)
        if self._captured or len(self._identities()) == 2:
            self.click_ids()

    def click_ids(self) -> dict[str, str]:
        if self._click_ids is None:
            if self._captured is None:
                self._captured = click_ids.capture(self.event)
            identities = self._identities()
            conn = self.stage.conn
            if conn is None or not identities:
                self._click_ids = self._captured
            else:
                self._click_ids = store.recall_click_ids(
                    conn, identities, self._captured, self.stage.now
                )
        return self._click_ids

    def _has_preferences(self) -> bool:
        """An empty `categoryPreferences` counts: it refuses every category."""
        preferences = dig(self.event, "context", "consent", "categoryPreferences")
        return isinstance(preferences, Mapping)

    def consent(self) -> ConsentState:
        if self._consent is None:
            self._consent = ConsentState.from_event(self.event)
        return self._consent

    def conversion(self, name: str) -> dict[str, Any]:
        """The conversion object without limited mode (destinations copy it to switch it on)."""
        if name not in self._conversions:
            self._conversions[name] = build_conversion(
                self.event, name, self.click_ids(), self.consent(), False
            )
        return self._conversions[name]

    def admit(self, destination: str, rules: Rules) -> Admitted | Refused:
        """What goes to the destination's plan, or why nothing does."""
        spec = rules.spec
        if rules.open or (spec is None and not self._has_preferences()):
            return Admitted(self.event)  # no preferences stated: consent is not enforced
        decision = rules.consent.decide(self.consent())
        if spec is None:
            if decision.action == "suppress":
                return refusal(decision, rules.consent)
            return Admitted(self.event)
        name = canonical_name(self.event, rules.aliases)
        if decision.action == "suppress":
            if name in rules.allowed:
                conversion = self.conversion(name)
                self._record(destination, name, decision, rules.mode, conversion, None)
            return refusal(decision, rules.consent)
        if name is None or name not in rules.allowed:
            return self._not_allowed(name, rules)
        conversion = self.conversion(name)
        too_old = _too_old(conversion, spec, self.stage.now)
        if too_old is not None:
            return too_old
        event_id = str(conversion["event_id"])
        earlier = self.stage.sent(destination, event_id, rules.dedup_window)
        if earlier is not None:
            detail = (
                f"event_id {event_id!r} was sent to {destination} by messageId {earlier!r} "
                "within conversions.dedup_window"
            )
            return Refused("duplicate", "conversion already sent", detail)
        if decision.action == "limited":
            conversion = {**conversion, "limited_data_use": True}
        match = score(identifiers_present(conversion), spec)
        pending = _Pending(name, conversion, decision, match, rules.mode)
        return Admitted(with_conversion(self.event, conversion), pending)

    def routed(self, destination: str, admitted: Admitted, queued: bool) -> None:
        """The destination's plan queued the admitted event (or filtered it: then nothing)."""
        p = admitted.pending
        if p is not None and queued:
            self._record(destination, p.name, p.decision, p.mode, p.conversion, p.match)

    def _record(
        self,
        destination: str,
        name: str,
        decision: ConsentDecision,
        mode: str,
        conversion: Mapping[str, Any],
        match: MatchScore | None,
    ) -> None:
        when = conversion.get("timestamp")
        entry = ledger.Entry(
            destination=destination,
            source=self.record.source,
            message_id=self.record.message_id,
            event_id=str(conversion["event_id"]),
            name=name,
            value=conversion.get("value"),
            currency=conversion.get("currency"),
            consent=decision.action,
            consent_reason=decision.reason,
            match_score=None if match is None else match.score,
            missing=() if match is None else match.missing,
            mode=mode,
            at=when if isinstance(when, float) else self.stage.now,
            routed_at=self.stage.now,
        )
        self.stage.record(entry, match)

    def _not_allowed(self, name: str | None, rules: Rules) -> Refused:
        event_name = self.event.get("event")
        kind = self.event.get("type")
        what = f"{event_name[:100]!r}" if isinstance(event_name, str) else f"a {kind!s:.20} call"
        if name is None:
            why = f"{what} is no conversion (see conversions.aliases)"
        else:
            why = f"{what} is {name}"
        allowed = ", ".join(sorted(rules.allowed)) or "none"
        return Refused("filtered", "conversion_events", f"{why}; conversion_events: {allowed}")


def _too_old(conversion: Mapping[str, Any], spec: ConversionSpec, now: float) -> Refused | None:
    when = conversion.get("timestamp")
    if spec.max_age is None or not isinstance(when, float) or now - when <= spec.max_age:
        return None
    days = spec.max_age / 86400
    detail = (
        f"the event is {(now - when) / 86400:.1f} days old; {spec.platform} refuses events "
        f"older than {days:g} days"
    )
    return Refused("filtered", "max_age", detail)
