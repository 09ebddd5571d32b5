"""`ProfilesService`: identity resolution as its own log consumer (`profiles`).

Per batch: read up to `batch_size` records of every partition from the consumer's offsets,
and apply them in ONE profile-store transaction (`engine.py`) that also stores the new
offsets; the offsets are then committed to the log too (for lag reports and retention).
The store's own offsets are the ones resumed from, so the store may run with
`synchronous=NORMAL` (no fsync per commit): a transaction lost in a power cut takes its
offsets with it, and the same records are simply applied again.
- Crash before the store commits: nothing was written; the batch is read again.
- Crash after it: the batch is not read again; were it read again (a store copied back from
  a backup), every record would be found already applied (its messageId is in `events`).
Beside it, on their own schedules: computed traits whose window moved are refolded, event
bodies older than `events_retention` are dropped, and the change feed is copied to each SQL
warehouse (`sync.py`). A failing part is logged and tried again later; it never stops the
others. With `profiles.enabled: false` the consumer only moves its offsets to the end, so
that it never holds back the log's retention.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from eventyard.control.config import Config
from eventyard.log.base import EventLog, LogRecord
from eventyard.profiles import computed_store
from eventyard.profiles.engine import Engine
from eventyard.profiles.feed import Feed
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import open_store
from eventyard.profiles.sync import ProfilesSync, sync_targets
from eventyard.stopping import wait_or_stop

__all__ = ["CONSUMER", "ProfilesService"]

CONSUMER = "profiles"
log = logging.getLogger(__name__)


def _offsets(sql: Sql) -> dict[int, int]:
    return {int(part): int(position) for part, position in sql.all("SELECT * FROM offsets")}


class ProfilesService:
    def __init__(
        self,
        config: Config,
        log: EventLog,
        data_dir: Path,
        *,
        batch_size: int = 5000,
        idle_wait: float = 1.0,
        windows_every: float = 60.0,
        purge_every: float = 3600.0,
        retry_after: float = 5.0,
    ) -> None:
        self.settings = config.profiles
        self.log = log
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.windows_every = windows_every
        self.purge_every = purge_every
        self.retry_after = retry_after
        self.store = open_store(self.settings, data_dir)
        schema = self.settings.sync_schema
        self.syncs = [
            ProfilesSync(self.store, target, schema, every=every)
            for target, every in sync_targets(config.warehouses, data_dir)
        ]
        self.engine = Engine(self.settings, feed=bool(self.syncs))
        self._offsets: dict[int, int] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`; resumes from the committed offsets."""
        if not self.settings.enabled:
            await self._follow_end(stop)
            return
        if not await self._open(stop):
            return
        try:
            parts: list[tuple[str, Callable[[], Awaitable[bool]], float]] = [
                ("identity resolution", self.process_once, 0.0),
                ("computed trait windows", self.expire_windows_once, self.windows_every),
                ("event retention", self.purge_once, self.purge_every),
            ]
            for sync in self.syncs:
                parts.append((f"sync to {sync.target.name}", self._sync_part(sync), sync.every))
            await asyncio.gather(*(self._loop(stop, *part) for part in parts))
        finally:
            await asyncio.to_thread(self.store.close)

    async def _open(self, stop: asyncio.Event) -> bool:
        """Open the store, trying again while it cannot be (a database server that is
        down); False if told to stop first."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.store.open)
                return True
            except Exception:
                log.exception("profiles: cannot open the profile store; retrying")
                await wait_or_stop(stop, asyncio.sleep(self.retry_after))
        return False

    async def _loop(
        self, stop: asyncio.Event, name: str, once: Callable[[], Awaitable[bool]], every: float
    ) -> None:
        """Call `once` until stop: again at once while it has more to do, else after
        `every` seconds (the log consumer: when something is appended)."""
        while not stop.is_set():
            try:
                more = await once()
            except Exception:
                log.exception("profiles: %s failed; retrying in %.0fs", name, self.retry_after)
                await wait_or_stop(stop, asyncio.sleep(self.retry_after))
                continue
            if more:
                continue
            if every:
                await wait_or_stop(stop, asyncio.sleep(every))
            else:
                await wait_or_stop(stop, self.log.wait(self.idle_wait))

    async def process_once(self, now: float | None = None) -> bool:
        """Apply one batch; True if a full batch was read (there may be more)."""
        if self._offsets is None:
            self._offsets = await asyncio.to_thread(self.store.read, _offsets)
        offsets = self._offsets
        batches: list[list[LogRecord]] = []
        share = max(1, self.batch_size // self.log.partitions)  # partitions move in step
        for partition in range(self.log.partitions):
            records = await self.log.read(partition, offsets.get(partition, 0), share)
            if records:
                batches.append(records)
        if not batches:
            return False
        records = [record for batch in batches for record in batch]
        done = {batch[0].partition: batch[-1].offset for batch in batches}

        def apply(sql: Sql) -> None:
            self.engine.apply(sql, records, now)
            sql.many(
                "INSERT INTO offsets (part, position) VALUES (?, ?) "
                "ON CONFLICT (part) DO UPDATE SET position = excluded.position",
                sorted(done.items()),
            )

        try:
            await asyncio.to_thread(self.store.write, apply)
        except BaseException:
            self.engine.forget()  # rolled back: what the engine saw in it never happened
            raise
        offsets.update(done)
        for partition, offset in done.items():  # for lag reports and retention
            await self.log.commit(CONSUMER, partition, offset)
        return any(len(batch) == share for batch in batches)

    async def expire_windows_once(self, now: float | None = None) -> bool:
        """Refold the profiles whose windowed computed traits lost contributions."""
        moment = time.time() if now is None else now

        def expire(sql: Sql) -> None:
            feed = Feed(sql, self.engine.feed)
            for trait in self.engine.computed:
                for profile in sorted(computed_store.expire(sql, trait, moment)):
                    changed = computed_store.recompute(sql, [trait], profile, moment)
                    for key, value in changed.items():
                        feed.trait(profile, key, value, moment, "")

        await asyncio.to_thread(self.store.write, expire)
        return False

    async def purge_once(self, now: float | None = None) -> bool:
        """Drop the bodies of events applied more than `events_retention` ago (the rows
        stay: replays need their links and traits)."""
        cutoff = (time.time() if now is None else now) - float(self.settings.events_retention)

        def purge(sql: Sql) -> None:
            upto = sql.one("SELECT MAX(last_seq) FROM arrivals WHERE at < ?", (cutoff,))[0]
            if upto is None:
                return
            row = sql.one("SELECT value FROM meta WHERE key = 'purged'")
            done = 0 if row is None else int(row[0])
            sql.run("UPDATE events SET payload = NULL WHERE seq > ? AND seq <= ?", (done, upto))
            sql.run(
                "INSERT INTO meta (key, value) VALUES ('purged', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(upto),),
            )
            sql.run("DELETE FROM arrivals WHERE last_seq <= ?", (upto,))

        await asyncio.to_thread(self.store.write, purge)
        return False

    def _sync_part(self, sync: ProfilesSync) -> Callable[[], Awaitable[bool]]:
        async def once() -> bool:
            loaded = await asyncio.to_thread(sync.sync_once)
            if loaded:
                await asyncio.to_thread(self._prune_feed)
            return loaded >= sync.batch

        return once

    def _prune_feed(self) -> None:
        """Feed rows every warehouse has loaded are not needed any more."""
        done = min(sync.cursor() for sync in self.syncs)
        self.store.write(lambda sql: sql.run("DELETE FROM feed WHERE id <= ?", (done,)))

    async def _follow_end(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for partition, end in enumerate(await self.log.end_offsets()):
                if end > await self.log.committed(CONSUMER, partition):
                    await self.log.commit(CONSUMER, partition, end)
            await wait_or_stop(stop, asyncio.sleep(self.windows_every))
