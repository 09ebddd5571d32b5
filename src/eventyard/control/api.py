"""The admin HTTP API: status, Prometheus metrics, per-event traces and dead letters.

These answer "why did this event (not) reach destination X" and let an operator send dead
letters again. Handlers stay thin: they check input, run one function of the state
connection through `StateStore.run`, and shape JSON. No authentication yet (roles and tokens
come later); the server listens on 127.0.0.1 unless configured otherwise.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.api_destinations import destination_routes
from eventyard.control.config import Config
from eventyard.delivery import jobs, metrics, trace
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.ingest.responses import error_response, json_response
from eventyard.log.base import EventLog
from eventyard.pipeline.router import CONSUMER
from eventyard.spec.timestamps import format_iso, parse_iso
from eventyard.storage.replay import ReplayService
from eventyard.storage.replay_request import ReplayRefused, parse_request
from eventyard.storage.replay_state import Replay

__all__ = ["MAX_LIMIT", "StorageStatus", "api_routes", "iso", "replay_json", "status_report"]


class StorageStatus(Protocol):
    """Where the status's `storage` part comes from: `StorageService` in-process, or the
    server's `StorageProcess` (storage runs in a child process there)."""

    async def status(self) -> dict[str, Any]: ...


MAX_LIMIT = 1000
"""Most dead letters one request lists: bounds the response, whatever the caller asks."""

_DIGITS = re.compile(r"[0-9]{1,7}")  # int() also takes "+5", " 5", "1_0"
_RETRY_KEYS = frozenset({"destination", "since"})

_Handler = Callable[[Request], Awaitable[Response]]
_Count = tuple[str, str, str, str, int]


class _BadInput(Exception):
    """Answered 400 with `code` and a message that names the problem."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def iso(at: float) -> str:
    """Unix time as `2024-05-01T12:00:00.123Z`, the form every timestamp in eventyard has."""
    return format_iso(datetime.fromtimestamp(at, UTC))


async def status_report(
    config: Config,
    log: EventLog,
    delivery: DeliveryService,
    storage: StorageStatus | None = None,
) -> dict[str, object]:
    """What `eventyard status` prints: received per source, pipeline lag, per destination,
    and (when storage runs) the archive's and each warehouse's lag."""
    received = await log.received()
    ends = await log.end_offsets()
    lag = 0
    for partition, end in enumerate(ends):
        lag += end - await log.committed(CONSUMER, partition)
    destinations = await delivery.status()
    report: dict[str, object] = {
        "sources": [
            {"name": source.name, "received": received.get(source.name, 0)}
            for source in config.sources
        ],
        "pipeline": {"lag": lag},
        "destinations": [
            {
                "name": d.name,
                "delivered": d.delivered,
                "pending": d.pending,
                "retrying": d.retrying,
                "dead": d.dead,
                "oldest_pending_age_s": d.oldest_pending_age_s,
                "last_error": d.last_error,
            }
            for d in destinations
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


class _Api:
    """The handlers, sharing the server's objects."""

    def __init__(
        self,
        config: Config,
        log: EventLog,
        state: StateStore,
        delivery: DeliveryService,
        storage: StorageStatus | None = None,
        replays: ReplayService | None = None,
    ) -> None:
        self.config = config
        self.log = log
        self.state = state
        self.delivery = delivery
        self.storage = storage
        self.replays = replays
        self.destinations = frozenset(d.name for d in config.destinations)

    def _destination(self, name: object) -> str | None:
        if name is None:
            return None
        if not isinstance(name, str) or name not in self.destinations:
            known = ", ".join(sorted(self.destinations)) or "none configured"
            raise _BadInput("unknown_destination", f"unknown destination {name!r} (known: {known})")
        return name

    async def status(self, _: Request) -> Response:
        report = await status_report(self.config, self.log, self.delivery, self.storage)
        return json_response(report)

    async def metrics(self, _: Request) -> Response:
        now = time.time()
        names = [d.name for d in self.config.destinations]

        def read(conn: sqlite3.Connection) -> tuple[list[_Count], list[DestinationStatus]]:
            # one transaction, so the step counts agree with the queue gauges
            return trace.counts(conn), [jobs.status(conn, name, now) for name in names]

        counts, statuses = await self.state.run(read)
        body = metrics.render_prometheus(counts, statuses)
        body += _received_metric(await self.log.received())
        return Response(body, media_type=metrics.CONTENT_TYPE)

    async def trace(self, request: Request) -> Response:
        message_id: str = request.path_params["message_id"]
        steps = await self.state.run(lambda conn: trace.steps_for(conn, message_id))
        if not steps:
            return error_response(
                404,
                "unknown_message",
                f"no trace for messageId {message_id!r}: never received, or older than "
                "the trace retention",
            )
        return json_response(
            {
                "messageId": message_id,
                "steps": [
                    {
                        "destination": s.destination,
                        "action": s.action,
                        "step": s.step,
                        "detail": s.detail,
                        "status": s.status,
                        "at": iso(s.at),
                    }
                    for s in steps
                ],
            }
        )

    async def dead_letters(self, request: Request) -> Response:
        destination = self._destination(request.query_params.get("destination"))
        raw_limit = request.query_params.get("limit", "100")
        limit = int(raw_limit) if _DIGITS.fullmatch(raw_limit) else 0
        if not 1 <= limit <= MAX_LIMIT:
            raise _BadInput("invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
        names = [destination] if destination else sorted(self.destinations)

        def read(conn: sqlite3.Connection) -> list[DeadLetter]:
            letters = [x for name in names for x in jobs.dead_letters(conn, name, limit)]
            return sorted(letters, key=lambda x: (x.failed_at, x.id), reverse=True)[:limit]

        letters = await self.state.run(read)
        return json_response([_dead_letter_json(letter) for letter in letters])

    async def retry(self, request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise _BadInput(
                "invalid_json",
                'the body must be JSON like {"destination": null, "since": null}',
            ) from None
        if not isinstance(body, dict):
            raise _BadInput("invalid_json", "the body must be a JSON object")
        if unknown := sorted(set(body) - _RETRY_KEYS):
            raise _BadInput("invalid_json", f"unknown keys {unknown}: use destination, since")
        destination = self._destination(body.get("destination"))
        since: float | None = None
        if body.get("since") is not None:
            parsed = parse_iso(body["since"])
            if parsed is None:
                raise _BadInput(
                    "invalid_since",
                    f"since must be an ISO-8601 time like 2024-05-01T12:00:00Z, "
                    f"got {body['since']!r}",
                )
            since = parsed.replace(tzinfo=UTC).timestamp()
        now = time.time()
        count = await self.state.run(lambda conn: jobs.requeue_dead(conn, destination, since, now))
        if count:
            self.delivery.notify()
        return json_response({"requeued": count})

    async def start_replay(self, request: Request) -> Response:
        if self.replays is None:
            raise _BadInput("replay_unavailable", "this server does not run replays")
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise _BadInput("invalid_json", "the body must be a JSON object") from None
        try:
            replay = await self.replays.start(parse_request(self.config, body))
        except ReplayRefused as error:
            raise _BadInput(error.code, str(error)) from None
        return json_response(replay_json(replay), status=201)

    async def replay(self, request: Request) -> Response:
        replay_id: str = request.path_params["replay_id"]
        replay = None if self.replays is None else await self.replays.get(replay_id)
        if replay is None:
            return error_response(404, "unknown_replay", f"no replay with id {replay_id!r}")
        return json_response(replay_json(replay))


def _guarded(handler: _Handler) -> _Handler:
    """Turn `_BadInput` into the 400 JSON error every eventyard API answers with."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except _BadInput as error:
            return error_response(400, error.code, str(error))

    return endpoint


def api_routes(
    config: Config,
    log: EventLog,
    state: StateStore,
    delivery: DeliveryService,
    storage: StorageStatus | None = None,
    replays: ReplayService | None = None,
) -> list[BaseRoute]:
    """Every admin route, for `create_app(extra_routes=...)`."""
    api = _Api(config, log, state, delivery, storage, replays)
    return [
        Route("/api/v1/status", api.status, methods=["GET"]),
        Route("/metrics", api.metrics, methods=["GET"]),
        # `path`: a messageId is any string the client chose, slashes included
        Route("/api/v1/trace/{message_id:path}", api.trace, methods=["GET"]),
        Route("/api/v1/deadletters", _guarded(api.dead_letters), methods=["GET"]),
        Route("/api/v1/deadletters/retry", _guarded(api.retry), methods=["POST"]),
        Route("/api/v1/replays", _guarded(api.start_replay), methods=["POST"]),
        Route("/api/v1/replays/{replay_id}", api.replay, methods=["GET"]),
        *destination_routes(config, delivery.client),
    ]
