"""Apply log records to the profile store: identity, events, traits, computed traits, accounts.

Runs inside ONE store transaction per batch (the consumer commits the log offsets after
it). Each record is applied at most once: its messageId is the primary key of `events`, so
a batch read again after a crash finds every record done and changes nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.profiles_config import ProfilesSettings
from eventyard.log.base import LogRecord
from eventyard.profiles import accounts, computed_store, rebuild
from eventyard.profiles import graph_store as gs
from eventyard.profiles import traits as trait_rows
from eventyard.profiles.computed import ComputedTrait, compile_traits, contributions
from eventyard.profiles.events import (
    Seen,
    clean,
    consent_traits,
    event_name,
    event_time,
    group_id,
    traits_of,
)
from eventyard.profiles.feed import Feed
from eventyard.profiles.identifiers import Extractor, Ident
from eventyard.profiles.merge_protection import Rules
from eventyard.profiles.resolution import Attached, attach
from eventyard.profiles.sql import Sql, marks

__all__ = ["LINK_CACHE", "Engine"]

LINK_CACHE = 200_000
"""Links remembered between batches (about 100 bytes each)."""


class _Batch:
    """One batch's transaction, its known links, and its event rows not yet written (one
    insert for many rows is much cheaper than one per row)."""

    def __init__(self, sql: Sql, feed: Feed, links: dict[bytes, gs.Link]) -> None:
        self.sql = sql
        self.feed = feed
        self.links = links
        self.events: list[tuple[Any, ...]] = []

    def flush(self) -> None:
        self.sql.many(
            "INSERT INTO events (message_id, link_id, ts, source, type, event, group_id, "
            "traits, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.events,
        )
        self.events.clear()


@dataclass(frozen=True, slots=True)
class _Item:
    record: LogRecord
    event: dict[str, Any]
    seen: Seen
    ids: list[Ident]
    digest: bytes


def _decode(record: LogRecord) -> dict[str, Any] | None:
    try:
        event = orjson.loads(record.payload)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _known(sql: Sql, message_ids: Sequence[str]) -> set[str]:
    """The messageIds already applied."""
    found: set[str] = set()
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        rows = sql.all(
            f"SELECT message_id FROM events WHERE message_id IN ({marks(len(chunk))})", chunk
        )
        found.update(row[0] for row in rows)
    return found


class Engine:
    """Built once per configuration; `apply` runs per batch in the store's transaction."""

    def __init__(self, settings: ProfilesSettings, *, feed: bool) -> None:
        self.rules = Rules(settings)
        self.extractor = Extractor(settings)
        self.computed: list[ComputedTrait] = compile_traits(settings.computed_traits)
        self.feed = feed
        self._links: OrderedDict[bytes, gs.Link] = OrderedDict()
        """Recently used links (a link's id and first occurrence only change through this
        engine): a user's next events find theirs without a lookup."""

        self._types: set[str] = set()

    def forget(self) -> None:
        """Drop what the engine remembers of the store: call it when a batch's transaction
        failed, so that nothing it saw in that batch is believed."""
        self._links.clear()
        self._types.clear()

    def apply(self, sql: Sql, records: Sequence[LogRecord], now: float | None = None) -> int:
        """Apply the new records among these; returns how many there were.

        A batch is applied in event-time order, whatever partitions it came from: the result
        does not depend on order, but events older than their part of the graph cost a
        replay, and records of one batch need not cause any."""
        now = time.time() if now is None else now
        feed = Feed(sql, self.feed)
        done = _known(sql, [clean(record.message_id) for record in records])
        todo: list[_Item] = []
        for record in records:
            if clean(record.message_id) not in done:
                done.add(clean(record.message_id))
                event = _decode(record)
                if event is not None:
                    todo.append(self._item(record, event))
        todo.sort(key=lambda item: item.seen.key)
        batch = _Batch(sql, feed, self._known_links(sql, [i.digest for i in todo if i.ids]))
        for item in todo:
            self._one(batch, item, now)
        batch.flush()
        self._remember(batch.links)
        if todo:
            sql.run("INSERT INTO arrivals (last_seq, at) SELECT MAX(seq), ? FROM events", (now,))
        return len(todo)

    def _known_links(self, sql: Sql, digests: list[bytes]) -> dict[bytes, gs.Link]:
        cached = {d: self._links[d] for d in digests if d in self._links}
        return cached | gs.find_links(sql, [d for d in digests if d not in cached])

    def _remember(self, links: dict[bytes, gs.Link]) -> None:
        for digest, link in links.items():
            self._links[digest] = link
            self._links.move_to_end(digest)
        while len(self._links) > LINK_CACHE:
            self._links.popitem(last=False)

    def _item(self, record: LogRecord, event: dict[str, Any]) -> _Item:
        kind = clean(event["type"]) if isinstance(event.get("type"), str) else None
        at = event_time(event, record.appended_at)
        seen = Seen((at, clean(record.message_id)), record.source, kind, event_name(event))
        ids = self.extractor.extract(event)
        return _Item(record, event, seen, ids, gs.link_hash(ids) if ids else b"")

    def _one(self, batch: _Batch, item: _Item, now: float) -> None:
        sql, event, seen = batch.sql, item.event, item.seen
        attached = None
        if item.ids:
            attached = attach(sql, batch.feed, self.rules, item.ids, item.digest, seen, batch.links)
            for kind in {kind for kind, _ in item.ids} - self._types:
                sql.run(
                    "INSERT INTO identifier_types (type) VALUES (?) ON CONFLICT DO NOTHING", (kind,)
                )
                self._types.add(kind)
        traits = traits_of(event)
        account = group_id(event)
        user_traits = traits if seen.type == "identify" else consent_traits(event)
        batch.events.append(
            (
                seen.message_id,
                None if attached is None else attached.link,
                seen.at,
                seen.source,
                seen.type,
                seen.event,
                account,
                None if user_traits is None else orjson.dumps(user_traits).decode(),
                item.record.payload,
            )
        )
        if attached is not None:
            self._profile(batch, attached, event, user_traits, seen, now)
        if account is not None:
            accounts.apply(sql, account, traits, seen)

    def _profile(
        self,
        batch: _Batch,
        attached: Attached,
        event: dict[str, Any],
        traits: dict[str, Any] | None,
        seen: Seen,
        now: float,
    ) -> None:
        sql, feed = batch.sql, batch.feed
        counted = contributions(sql, self.computed, event, seen, attached.link)
        if attached.replay is not None:
            batch.flush()  # the replay reads the events' traits
            rebuild.replay(sql, feed, self.rules, self.computed, attached.replay, seen, now)
            return
        if not counted and not traits and attached.outcome is None:
            return  # a known identifier set and nothing to update
        profile = attached.profile or gs.link_place(sql, attached.link)[1]
        if profile is None:
            return
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
