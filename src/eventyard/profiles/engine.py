"""Apply log records to the profile store: identity, events, traits, computed traits, accounts.

Runs inside ONE store transaction per batch (the consumer commits the log offsets after
it). Each record is applied at most once: its messageId is the primary key of `events`, so
a batch read again after a crash finds every record done and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson

from eventyard.control.profiles_config import ProfilesSettings
from eventyard.log.base import LogRecord
from eventyard.profiles import accounts, computed_store, rebuild
from eventyard.profiles import traits as trait_rows
from eventyard.profiles.computed import ComputedTrait, compile_traits, contributions
from eventyard.profiles.events import Seen, event_name, event_time, group_id, traits_of
from eventyard.profiles.feed import Feed
from eventyard.profiles.identifiers import Extractor
from eventyard.profiles.merge_protection import Rules
from eventyard.profiles.resolution import Attached, attach
from eventyard.profiles.sql import Sql

__all__ = ["Engine"]


class Engine:
    """Built once per configuration; `apply` runs per batch in the store's transaction."""

    def __init__(self, settings: ProfilesSettings, *, feed: bool) -> None:
        self.rules = Rules(settings)
        self.extractor = Extractor(settings)
        self.computed: list[ComputedTrait] = compile_traits(settings.computed_traits)
        self.feed = feed

    def apply(self, sql: Sql, records: Sequence[LogRecord], now: float | None = None) -> int:
        """Apply the records in order; returns how many were new."""
        now = time.time() if now is None else now
        feed = Feed(sql, self.feed)
        return sum(self._one(sql, feed, record, now) for record in records)

    def _one(self, sql: Sql, feed: Feed, record: LogRecord, now: float) -> bool:
        known = sql.one("SELECT 1 FROM events WHERE message_id = ?", (record.message_id,))
        if known is not None:
            return False
        try:
            event = orjson.loads(record.payload)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(event, dict):
            return False
        kind = event.get("type") if isinstance(event.get("type"), str) else None
        at = event_time(event, record.appended_at)
        seen = Seen((at, record.message_id), record.source, kind, event_name(event))
        ids = self.extractor.extract(event)
        attached = attach(sql, feed, self.rules, ids, seen) if ids else None
        traits = traits_of(event)
        account = group_id(event)
        user_traits = traits if kind == "identify" else None
        sql.run(
            "INSERT INTO events (message_id, link_id, ts, source, type, event, group_id, "
            "traits, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.message_id,
                None if attached is None else attached.link,
                at,
                record.source,
                kind,
                seen.event,
                account,
                None if user_traits is None else orjson.dumps(user_traits).decode(),
                record.payload,
            ),
        )
        if attached is not None:
            self._profile(sql, feed, attached, event, user_traits, seen, now)
        if account is not None:
            accounts.apply(sql, account, traits, seen)
        return True

    def _profile(
        self,
        sql: Sql,
        feed: Feed,
        attached: Attached,
        event: dict[str, Any],
        traits: dict[str, Any] | None,
        seen: Seen,
        now: float,
    ) -> None:
        counted = contributions(sql, self.computed, event, seen, attached.link)
        if attached.replay is not None:
            rebuild.replay(sql, feed, self.rules, self.computed, attached.replay, seen, now)
            return
        profile = attached.profile
        assert profile is not None
        merges = attached.outcome.merges if attached.outcome is not None else []
        for merge in merges:
            trait_rows.merge(sql, merge.kept, merge.merged)
            computed_store.merge(sql, self.computed, merge.kept, merge.merged, now)
        changed: dict[str, str | None] = {}
        if traits:
            changed |= trait_rows.apply(sql, "traits", profile, traits, seen)
        changed |= computed_store.update(sql, profile, counted, *seen.key, now)
        if merges:  # the whole merged set: an older row of either profile must never win
            feed.snapshot(profile, seen)
            return
        for key, value in changed.items():
            feed.trait(profile, key, value, *seen.key)
