"""Operating the pipeline: status, per-event traces, dead letters, replays, metrics.

These answer "why did this event (not) reach destination X" and let an editor send dead
letters again or replay the archive. Each answer covers the caller's workspace only: its
sources and destinations; another workspace's names are unknown here. `/metrics` is the
exception: it covers every workspace, so it takes `server.metrics_token` (a Bearer token
Prometheus sends) instead of a workspace's token, and needs none only while the install
has one workspace.
"""

from __future__ import annotations

import hmac
import re
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from eventyard.control import workspaces
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
from eventyard.delivery.dead_search import SearchError, parse_search, search_letters
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.state import StateStore
from eventyard.destinations.registry import masked_payload
from eventyard.ingest.rate_limit import SourceLimits
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


def _source_counts(
    config: Config, received: dict[str, int], limits: SourceLimits | None
) -> list[dict[str, object]]:
    """Received per source, and for a source with a rate_limit the events it had refused."""
    counts: list[dict[str, object]] = []
    for source in config.sources:
        count: dict[str, object] = {"name": source.name, "received": received.get(source.name, 0)}
        if source.rate_limit is not None:
            count["rate_limited"] = limits.refused.get(source.name, 0) if limits else 0
        counts.append(count)
    return counts


async def status_report(
    config: Config,
    log: EventLog,
    state: StateStore,
    storage: StorageStatus | None = None,
    limits: SourceLimits | None = None,
) -> dict[str, object]:
    """What `eventyard status` prints for `config`'s sources and destinations: received (and
    rate-limited) per source, pipeline lag, per destination, and (when storage runs)
    archive/warehouse lag."""
    received = await log.received()
    lag = 0
    for partition, end in enumerate(await log.end_offsets()):
        lag += end - await log.committed(CONSUMER, partition)
    now = time.time()
    names = [d.name for d in config.destinations]
    statuses = await state.run(lambda conn: [jobs.status(conn, n, now) for n in names])
    report: dict[str, object] = {
        "sources": _source_counts(config, received, limits),
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


def _source_metric(name: str, about: str, counts: dict[str, int]) -> str:
    """A counter per source in Prometheus' text format."""
    lines = [f"# HELP {name} {about}", f"# TYPE {name} counter"]
    lines += [
        f'{name}{{source="{_label(source)}"}} {count}' for source, count in sorted(counts.items())
    ]
    return "\n".join(lines) + "\n"


def _dead_letter_json(letter: DeadLetter, slug: str) -> dict[str, Any]:
    """A dead letter as the API shows it (of a destination of type `slug`)."""
    stored = masked_payload(slug, letter.action, letter.payload)
    try:
        payload: Any = orjson.loads(stored)
    except orjson.JSONDecodeError:
        payload = stored.decode("utf-8", "replace")
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
        report = await status_report(config, ctx.log, ctx.state, ctx.storage, ctx.limits)
        return json_response(report)

    async def _check_metrics_token(self, request: Request) -> None:
        """401/403 unless the caller may see every workspace's names (see the module)."""
        wanted = self.ctx.config.server.metrics_token
        if wanted is None:
            if len(await self.ctx.plane.read(workspaces.list_workspaces)) <= 1:
                return
            raise ApiError(
                403,
                "metrics_token_required",
                "/metrics names the sources and destinations of every workspace and this "
                "install has several: set server.metrics_token and have the scraper send "
                "`Authorization: Bearer <token>`",
            )
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), wanted.encode()
        ):
            raise ApiError(
                401,
                "unauthorized",
                "send server.metrics_token as `Authorization: Bearer <token>`",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )

    async def metrics(self, request: Request) -> Response:
        await self._check_metrics_token(request)
        now = time.time()
        names = [d.name for d in self.ctx.config.destinations]

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[DestinationStatus]]:
            # one transaction, so the step counts agree with the queue gauges
            return trace.counts(conn), [jobs.status(conn, name, now) for name in names]

        counts, statuses = await self.ctx.state.run(read)
        body = metrics.render_prometheus(counts, statuses, self.ctx.delivery.limits())
        body += _source_metric(
            "eventyard_events_received_total",
            "Events accepted by the tracking API, per source.",
            await self.ctx.log.received(),
        )
        body += _source_metric(
            "eventyard_events_rate_limited_total",
            "Events refused (429) because their source was over its rate_limit.",
            self.ctx.limits.refused,
        )
        body += self.ctx.logins.prometheus()
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
        try:
            query = parse_search(request.query_params)
        except SearchError as error:
            raise ApiError(400, f"invalid_{error.name}", str(error)) from None

        def read(conn: sqlite3.Connection) -> list[DeadLetter]:
            return search_letters(conn, names, query, limit)

        letters = await self.ctx.state.run(read)
        types = {d.name: d.type for d in config.destinations}
        return json_response([_dead_letter_json(x, types[x.destination]) for x in letters])

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
    search = (
        Param(
            "event",
            str,
            "A messageId, or text in the stored payload (such as the event "
            "name); ASCII letters match in any case.",
        ),
        Param("error", str, "Text in the error that decided the letter, in any case."),
        Param("since", str, "Only letters that failed at or after this ISO-8601 time."),
        Param("until", str, "Only letters that failed before this ISO-8601 time."),
        Param(
            "before",
            int,
            "The next page: letters with an id below this one (the last id of the page before).",
        ),
    )
    return [
        Endpoint("GET", "/api/v1/status", ops.status, "Delivery status", "operations",
                 response=StatusReport),
        # `path`: a messageId is any string the client chose, slashes included
        Endpoint("GET", "/api/v1/trace/{message_id:path}", ops.trace,
                 "Why an event did (not) reach each destination", "operations",
                 response=Trace, errors=(404,)),
        Endpoint("GET", "/api/v1/deadletters", ops.dead_letters, "List dead letters",
                 "operations", response=list[DeadLetterOut], params=(destination, limit, *search),
                 errors=(400,)),
        Endpoint("POST", "/api/v1/deadletters/retry", ops.retry, "Send dead letters again",
                 "operations", role="editor", body=RetryRequest, response=Requeued),
        Endpoint("POST", "/api/v1/replays", ops.start_replay, "Replay archived events",
                 "operations", role="editor", body=ReplayRequest, response=ReplayOut,
                 status=201),
        Endpoint("GET", "/api/v1/replays/{replay_id}", ops.replay, "A replay's progress",
                 "operations", response=ReplayOut, errors=(404,)),
        Endpoint("GET", "/metrics", ops.metrics,
                 "Prometheus metrics (server.metrics_token as Bearer token)", "operations",
                 role=None, media_type=metrics.CONTENT_TYPE, errors=(401, 403)),
    ]  # fmt: skip
