"""Operating the pipeline: status, per-event traces, dead letters, replays, metrics.

These answer "why did this event (not) reach destination X" and let an editor send dead
letters again or replay the archive. Each answer covers the caller's workspace only: its
sources and destinations; another workspace's names are unknown here. `/metrics` is the
exception: Prometheus scrapes it without a token, for every destination.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import Endpoint, Param, caller, read_object
from eventyard.control.api_schemas import (
    DeadLetterOut,
    ReplayOut,
    ReplayRequest,
    Requeued,
    RetryRequest,
    StatusReport,
    Trace,
)
from eventyard.control.api_scope import workspace_config
from eventyard.control.config import Config
from eventyard.control.storage_status import StorageStatus
from eventyard.delivery import jobs, metrics, trace
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.state import StateStore
from eventyard.ingest.responses import json_response
from eventyard.log.base import EventLog
from eventyard.pipeline.router import CONSUMER
from eventyard.spec.timestamps import format_iso, parse_iso
from eventyard.storage.replay_request import ReplayRefused, parse_request
from eventyard.storage.replay_state import Replay

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = [
    "MAX_LIMIT",
    "iso",
    "operation_endpoints",
    "replay_json",
    "status_report",
]


MAX_LIMIT = 1000
"""Most dead letters one request lists: bounds the response, whatever the caller asks."""

_DIGITS = re.compile(r"[0-9]{1,7}")  # int() also takes "+5", " 5", "1_0"
_RETRY_KEYS = frozenset({"destination", "since"})


def iso(at: float) -> str:
    """Unix time as `2024-05-01T12:00:00.123Z`, the form every timestamp in eventyard has."""
    return format_iso(datetime.fromtimestamp(at, UTC))


async def status_report(
    config: Config, log: EventLog, state: StateStore, storage: StorageStatus | None = None
) -> dict[str, object]:
    """What `eventyard status` prints for `config`'s sources and destinations: received per
    source, pipeline lag, per destination, and (when storage runs) archive/warehouse lag."""
    received = await log.received()
    lag = 0
    for partition, end in enumerate(await log.end_offsets()):
        lag += end - await log.committed(CONSUMER, partition)
    now = time.time()
    names = [d.name for d in config.destinations]
    statuses = await state.run(lambda conn: [jobs.status(conn, n, now) for n in names])
    report: dict[str, object] = {
        "sources": [{"name": s.name, "received": received.get(s.name, 0)} for s in config.sources],
        "pipeline": {"lag": lag},
        "destinations": [
            {
                "name": d.name,
                "delivered": d.delivered,
                "observed": d.observed,
                "pending": d.pending,
                "retrying": d.retrying,
                "dead": d.dead,
                "oldest_pending_age_s": d.oldest_pending_age_s,
                "last_error": d.last_error,
            }
            for d in statuses
        ],
    }
    if storage is not None:
        report["storage"] = await storage.status()
    return report


def replay_json(replay: Replay) -> dict[str, Any]:
    """A replay's progress as `GET /api/v1/replays/{id}` answers it."""
    return {
        "id": replay.id,
        "status": replay.status,
        "source": replay.source,
        "from": replay.start,
        "to": replay.end,
        "where": replay.where,
        "destinations": replay.destinations,
        "rate": replay.rate,
        "total": replay.total,
        "done": replay.done,
        "queued": replay.queued,
        "error": replay.error,
        "created_at": iso(replay.created_at),
        "finished_at": None if replay.finished_at is None else iso(replay.finished_at),
    }


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _received_metric(received: dict[str, int]) -> str:
    lines = [
        "# HELP eventyard_events_received_total Events accepted by the tracking API, per source.",
        "# TYPE eventyard_events_received_total counter",
    ]
    lines += [
        f'eventyard_events_received_total{{source="{_label(source)}"}} {count}'
        for source, count in sorted(received.items())
    ]
    return "\n".join(lines) + "\n"


def _dead_letter_json(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = orjson.loads(letter.payload)
    except orjson.JSONDecodeError:
        payload = letter.payload.decode("utf-8", "replace")
    return {
        "id": letter.id,
        "destination": letter.destination,
        "action": letter.action or None,
        "messageId": letter.message_id,
        "payload": payload,
        "error": letter.error,
        "attempts": letter.attempts,
        "failed_at": iso(letter.failed_at),
    }


def _destination(config: Config, name: object) -> str | None:
    """A destination of the workspace named in input, or a 400 listing the known ones."""
    if name is None:
        return None
    names = sorted(d.name for d in config.destinations)
    if not isinstance(name, str) or name not in names:
        known = ", ".join(names) or "none configured"
        raise ApiError(400, "unknown_destination", f"unknown destination {name!r} (known: {known})")
    return name


def _since(value: object) -> float | None:
    if value is None:
        return None
    parsed = parse_iso(value)
    if parsed is None:
        raise ApiError(
            400,
            "invalid_since",
            f"since must be an ISO-8601 time like 2024-05-01T12:00:00Z, got {value!r}",
        )
    return parsed.replace(tzinfo=UTC).timestamp()


class _Operations:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def _scope(self, request: Request) -> Config:
        return await workspace_config(self.ctx, caller(request).workspace)

    async def status(self, request: Request) -> Response:
        ctx = self.ctx
        config = await self._scope(request)
        return json_response(await status_report(config, ctx.log, ctx.state, ctx.storage))

    async def metrics(self, _: Request) -> Response:
        now = time.time()
        names = [d.name for d in self.ctx.config.destinations]

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[DestinationStatus]]:
            # one transaction, so the step counts agree with the queue gauges
            return trace.counts(conn), [jobs.status(conn, name, now) for name in names]

        counts, statuses = await self.ctx.state.run(read)
        body = metrics.render_prometheus(counts, statuses)
        body += _received_metric(await self.ctx.log.received())
        return Response(body, media_type=metrics.CONTENT_TYPE)

    async def trace(self, request: Request) -> Response:
        message_id: str = request.path_params["message_id"]
        names = {d.name for d in (await self._scope(request)).destinations}
        steps = await self.ctx.state.run(lambda conn: trace.steps_for(conn, message_id))
        steps = [s for s in steps if s.destination in names]
        if not steps:
            raise ApiError(
                404,
                "unknown_message",
                f"no trace for messageId {message_id!r}: never received, older than the "
                "trace retention, or not routed to this workspace's destinations",
            )
        body = [
            {
                "destination": s.destination,
                "action": s.action,
                "step": s.step,
                "detail": s.detail,
                "status": s.status,
                "at": iso(s.at),
            }
            for s in steps
        ]
        return json_response({"messageId": message_id, "steps": body})

    async def dead_letters(self, request: Request) -> Response:
        config = await self._scope(request)
        destination = _destination(config, request.query_params.get("destination"))
        raw_limit = request.query_params.get("limit", "100")
        limit = int(raw_limit) if _DIGITS.fullmatch(raw_limit) else 0
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(
                400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}"
            )
        names = [destination] if destination else sorted(d.name for d in config.destinations)

        def read(conn: sqlite3.Connection) -> list[DeadLetter]:
            letters = [x for name in names for x in jobs.dead_letters(conn, name, limit)]
            return sorted(letters, key=lambda x: (x.failed_at, x.id), reverse=True)[:limit]

        letters = await self.ctx.state.run(read)
        return json_response([_dead_letter_json(letter) for letter in letters])

    async def retry(self, request: Request) -> Response:
        body = await read_object(request)
        if unknown := sorted(set(body) - _RETRY_KEYS):
            raise ApiError(400, "invalid_json", f"unknown keys {unknown}: use destination, since")
        config = await self._scope(request)
        destination = _destination(config, body.get("destination"))
        since = _since(body.get("since"))
        names = [destination] if destination else [d.name for d in config.destinations]
        now = time.time()

        def requeue(conn: sqlite3.Connection) -> int:
            return sum(jobs.requeue_dead(conn, name, since, now) for name in names)

        count = await self.ctx.state.run(requeue)
        if count:
            self.ctx.delivery.notify()
        return json_response({"requeued": count})

    async def start_replay(self, request: Request) -> Response:
        body = await read_object(request)
        try:
            replay = await self.ctx.replays.start(parse_request(await self._scope(request), body))
        except ReplayRefused as error:
            raise ApiError(400, error.code, str(error)) from None
        return json_response(replay_json(replay), status=201)

    async def replay(self, request: Request) -> Response:
        replay_id: str = request.path_params["replay_id"]
        sources = {s.name for s in (await self._scope(request)).sources}
        replay = await self.ctx.replays.get(replay_id)
        if replay is None or replay.source not in sources:
            raise ApiError(404, "unknown_replay", f"no replay with id {replay_id[:80]!r}")
        return json_response(replay_json(replay))


def operation_endpoints(ctx: ServerContext) -> list[Endpoint]:
    ops = _Operations(ctx)
    destination = Param("destination", str, "Only this destination's dead letters.")
    limit = Param("limit", int, f"How many, newest first (1 to {MAX_LIMIT}, default 100).")
    return [
        Endpoint("GET", "/api/v1/status", ops.status, "Delivery status", "operations",
                 response=StatusReport),
        # `path`: a messageId is any string the client chose, slashes included
        Endpoint("GET", "/api/v1/trace/{message_id:path}", ops.trace,
                 "Why an event did (not) reach each destination", "operations",
                 response=Trace, errors=(404,)),
        Endpoint("GET", "/api/v1/deadletters", ops.dead_letters, "List dead letters",
                 "operations", response=list[DeadLetterOut], params=(destination, limit),
                 errors=(400,)),
        Endpoint("POST", "/api/v1/deadletters/retry", ops.retry, "Send dead letters again",
                 "operations", role="editor", body=RetryRequest, response=Requeued),
        Endpoint("POST", "/api/v1/replays", ops.start_replay, "Replay archived events",
                 "operations", role="editor", body=ReplayRequest, response=ReplayOut,
                 status=201),
        Endpoint("GET", "/api/v1/replays/{replay_id}", ops.replay, "A replay's progress",
                 "operations", response=ReplayOut, errors=(404,)),
        Endpoint("GET", "/metrics", ops.metrics, "Prometheus metrics (no token)", "operations",
                 role=None, media_type=metrics.CONTENT_TYPE),
    ]  # fmt: skip
