"""Replay: archived events of a time range, through the chosen destinations' plans again.

A replay reads the archive (`read_archive`, rows in (partition, offset) order, so each
user's events come in the order they were logged), keeps the events its FQL `where`
matches, and routes each one, as stored, with the router's own code
(`pipeline.enqueue.route_record`) to the chosen destinations only: the event's own
`integrations` object (its opt-outs and the option objects mappings read), its consent,
destination filters, subscriptions and mappings apply as they did live, so a replayed
payload is the live one. Only jobs are added, so it is safe while live traffic flows;
delivery keeps per-user order among queued jobs.

- Dedup: replayed events bypass the messageId dedup table (they were seen, that is the
  point) and are not recorded in it, so live dedup is unchanged.
- Crash: each chunk's jobs and the replay's cursor commit in one state transaction
  (`replay_state.advance`); on start the server resumes every unfinished replay after its
  cursor. A chunk is queued exactly once; delivery is then at-least-once as for live jobs.
- Rate: a token bucket of `rate` events per second, one chunk (~0.1 s worth) at a time.
Memory: one replay holds its range's matching events in memory; replay long ranges in parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from eventyard.control.config import Config
from eventyard.delivery.jobs import NewJob
from eventyard.delivery.state import StateStore
from eventyard.delivery.trace import Step
from eventyard.fql import compile_fql
from eventyard.log.base import LogRecord
from eventyard.pipeline.enqueue import route_record
from eventyard.pipeline.plan import compile_plans
from eventyard.pipeline.schema import SchemaStage, blocked_steps
from eventyard.protocols.compile import compile_protocols
from eventyard.spec.timestamps import format_iso
from eventyard.storage import replay_state
from eventyard.storage.archive_read import read_archive
from eventyard.storage.replay_request import ReplayRequest
from eventyard.storage.replay_state import Replay

__all__ = ["ReplayService", "TokenBucket"]

log = logging.getLogger(__name__)
MAX_CHUNK = 500
FAILURES_BEFORE_GIVING_UP = 5
_Event = tuple[int, int, str, dict[str, Any]]


class TokenBucket:
    """`rate` tokens a second, holding at most `capacity`; `take(n)` waits for n tokens."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.at = time.monotonic()

    async def take(self, n: int) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= n:
                self.tokens -= n
                return
            await asyncio.sleep((n - self.tokens) / self.rate)


def _user_key(event: dict[str, Any]) -> str:
    """The log partition key ingest gave the event (userId, anonymousId, ...)."""
    for field in ("userId", "anonymousId", "previousId", "groupId"):
        value = event.get(field)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            return str(value)
    return ""


class ReplayService:
    """Starts replays, resumes interrupted ones at start, and reports their progress."""

    def __init__(
        self,
        config: Config,
        state: StateStore,
        archive_root: str,
        on_enqueued: Callable[[], None],
        *,
        retry_after: float = 5.0,
    ) -> None:
        self.config = config
        self.state = state
        self.root = archive_root
        self.on_enqueued = on_enqueued
        self.retry_after = retry_after
        self._plans = compile_plans(config)
        self._protocols = compile_protocols(config)
        self._schema = SchemaStage(config)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def reconfigure(self, config: Config) -> None:
        """Replays route their next chunk with the changed destinations' plans and the
        changed tracking plans."""
        self.config = config
        self._plans = compile_plans(config)
        self._protocols = compile_protocols(config)
        self._schema = SchemaStage(config)

    async def open(self) -> None:
        await self.state.run(lambda conn: conn.execute(replay_state.SCHEMA))

    async def run(self, stop: asyncio.Event) -> None:
        """Resume interrupted replays, then wait for stop and cancel what is running (each
        one's cursor is committed, so the next start resumes it)."""
        for replay in await self.state.run(replay_state.unfinished):
            log.info("resuming replay %s after %s", replay.id, replay.cursor)
            self._spawn(replay)
        await stop.wait()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def start(self, request: ReplayRequest) -> Replay:
        replay = Replay(
            id=f"r-{uuid.uuid4().hex[:12]}",
            source=request.source,
            start=format_iso(request.start),
            end=format_iso(request.end),
            where=request.where,
            destinations=request.destinations,
            rate=request.rate,
            status="running",
            total=None,
            done=0,
            queued=0,
            cursor=(-1, -1),
            error=None,
            created_at=time.time(),
            finished_at=None,
        )
        await self.state.run(lambda conn: replay_state.create(conn, replay))
        self._spawn(replay)
        return replay

    async def get(self, replay_id: str) -> Replay | None:
        return await self.state.run(lambda conn: replay_state.get(conn, replay_id))

    def _spawn(self, replay: Replay) -> None:
        if replay.id in self._tasks:  # started by the API while `run` was resuming
            return
        task = asyncio.create_task(self._run(replay), name=f"replay:{replay.id}")
        self._tasks[replay.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(replay.id, None))

    async def _run(self, replay: Replay) -> None:
        failures = 0
        while True:
            try:
                await self._replay(replay)
                status, error = "done", None
                break
            except Exception as exc:  # the archive is unreachable, the state DB hiccups...
                failures += 1
                log.exception("replay %s failed (attempt %d)", replay.id, failures)
                if failures >= FAILURES_BEFORE_GIVING_UP:
                    status, error = "failed", f"{type(exc).__name__}: {exc}"
                    break
                await asyncio.sleep(self.retry_after)
            current = await self.get(replay.id)  # resume from the committed cursor
            replay = current or replay
        now = time.time()
        await self.state.run(lambda conn: replay_state.finish(conn, replay.id, status, error, now))

    def _events(self, replay: Replay) -> list[_Event]:
        """The range's matching events, in archive order (a worker thread)."""
        table = read_archive(
            self.root,
            replay.source,
            datetime.fromisoformat(replay.start),
            datetime.fromisoformat(replay.end),
            storage_options=self.config.archive.storage_options,
        )
        matches = compile_fql(replay.where) if replay.where else None
        events: list[_Event] = []
        columns = table.select(["partition", "offset", "messageId", "raw"]).to_pydict()
        for partition, offset, message_id, raw in zip(*columns.values(), strict=True):
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(event, dict) and (matches is None or matches(event)):
                events.append((partition, offset, message_id or "", event))
        return events

    async def _replay(self, replay: Replay) -> None:
        events = await asyncio.to_thread(self._events, replay)
        if replay.total is None:
            total = len(events)
            await self.state.run(lambda conn: replay_state.set_total(conn, replay.id, total))
        pending = [e for e in events if (e[0], e[1]) > replay.cursor]
        chunk = MAX_CHUNK if replay.rate is None else max(1, min(MAX_CHUNK, int(replay.rate / 10)))
        bucket = None if replay.rate is None else TokenBucket(replay.rate, chunk)
        for i in range(0, len(pending), chunk):
            part = pending[i : i + chunk]
            if bucket is not None:
                await bucket.take(len(part))
            await self._queue(replay, part)

    async def _queue(self, replay: Replay, part: list[_Event]) -> None:
        now = time.time()
        new_jobs: list[NewJob] = []
        steps: list[Step] = []
        for partition, offset, message_id, raw_event in part:
            # The archive keeps events as received: the source's blocked events and its
            # tracking plan (blocking, omitted properties, transformations) apply again, as
            # they did live.
            name = self._schema.blocks(replay.source, raw_event)
            if name is not None:
                steps += blocked_steps(replay.source, name, message_id, replay.destinations, now)
                continue
            screened = self._protocols.screen(replay.source, raw_event)
            event = raw_event if screened is None else screened.event
            if event is None:
                reason = str(screened.blocked if screened is not None else "")
                detail = f"blocked by a tracking plan: {reason}"
                steps += [
                    Step(message_id, name, None, "blocked", detail, None, now, reason)
                    for name in replay.destinations
                ]
                continue
            record = LogRecord(
                partition, offset, replay.source, _user_key(event), message_id,
                orjson.dumps(event), now,
            )  # fmt: skip
            route_record(record, replay.destinations, self._plans, True, now, new_jobs, steps)
        label = f"replay {replay.id}"
        steps = [dataclasses.replace(s, detail=f"{label}: {s.detail}") for s in steps]
        cursor = (part[-1][0], part[-1][1])
        await self.state.run(
            lambda conn: replay_state.advance(
                conn, replay.id, cursor, len(part), new_jobs, steps, now
            )
        )
        if new_jobs:
            self.on_enqueued()
