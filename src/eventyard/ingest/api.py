"""The tracking endpoints: single calls, batches, pixel, settings.

A request is acknowledged with 200 only after `log.append` returned, that is once its
events are durable. Per request: one source lookup, one receivedAt, one client address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from eventyard.control.config import Config, SourceConfig
from eventyard.errors import IngestError, LogError
from eventyard.ingest.auth import basic_write_key, resolve_source
from eventyard.ingest.body import decode_body, parse_object, read_body
from eventyard.ingest.cdn_settings import settings_document
from eventyard.ingest.client_ip import ClientIp
from eventyard.ingest.origin import PublicOrigin
from eventyard.ingest.pixel import TRANSPARENT_GIF, pixel_message
from eventyard.ingest.process import Outcome, accept, process_batch, rejected_payload
from eventyard.ingest.rate_limit import SourceLimits
from eventyard.ingest.responses import (
    error_response,
    json_response,
    overloaded,
    rate_limited,
    success,
)
from eventyard.log.base import EventLog, Rejection
from eventyard.spec.enrich import RequestInfo, request_info
from eventyard.spec.limits import (
    MAX_BATCH_EVENTS,
    MAX_BATCH_REQUEST_BYTES,
    MAX_SINGLE_REQUEST_BYTES,
)
from eventyard.spec.messages import kind_of

__all__ = ["TrackingApi"]

Endpoint = Callable[[Request], Awaitable[Response]]


def _optional_object(body: dict[str, Any], field: str) -> dict[str, Any] | None:
    value = body.get(field)
    if value is None or isinstance(value, dict):
        return value
    raise IngestError("invalid_request", f"batch {field} must be an object, not {kind_of(value)}")


def _from_browser(request: Request) -> bool:
    """analytics.js posts `text/plain` (no CORS preflight); server libraries post JSON."""
    return request.headers.get("content-type", "").lower().startswith("text/plain")


class TrackingApi:
    """Holds what requests share: the write key table, the log, the proxy policy, the
    per-source rate limits."""

    def __init__(self, config: Config, log: EventLog, limits: SourceLimits | None = None) -> None:
        self._log = log
        self._sources = config.source_by_key()
        self._max_pending = config.server.max_pending_events
        self._client_ip = ClientIp(config.server.trusted_proxies)
        self._origin = PublicOrigin(config.server.public_url)
        self._limits = limits or SourceLimits()
        self._limits.configure(config.sources)

    def reconfigure(self, config: Config) -> None:
        """Sources changed (created, removed, a write key rotated, a rate limit): the new
        table applies to the next request; server-level settings need a restart."""
        self._sources = config.source_by_key()
        self._limits.configure(config.sources)

    def _over_rate(self, source: SourceConfig, events: int) -> Response | None:
        wait = self._limits.take(source.name, events)
        return None if wait is None else rate_limited(source.name, wait)

    def _ip(self, request: Request) -> str | None:
        peer = request.client.host if request.client else None
        return self._client_ip.resolve(peer, request.headers.get("x-forwarded-for"))

    async def _body(self, request: Request, limit: int) -> dict[str, Any]:
        headers = request.headers
        try:
            raw = await read_body(request.stream(), headers.get("content-length"), limit)
        except ClientDisconnect:
            raise IngestError("invalid_request", "the client disconnected mid-body") from None
        return parse_object(decode_body(raw, headers.get("content-encoding"), limit))

    def _source(self, request: Request, body_key: object) -> SourceConfig:
        basic = basic_write_key(request.headers.get("authorization"))
        return resolve_source(self._sources, basic, body_key)

    async def _store(self, outcome: Outcome) -> Response | None:
        """Append durably; a 503 response when the log cannot take the events now."""
        if not outcome.entries and not outcome.rejections:
            return None
        try:
            await self._log.append(outcome.entries, outcome.rejections)
        except LogError as error:
            return overloaded(f"the event log is unavailable ({error}); retry later")
        return None

    async def _refused(
        self, request: Request, error: IngestError, body: dict[str, Any] | None
    ) -> Response:
        """The error answer. A 400 whose source is known (by its write key) is also kept as
        a rejection, counted per source on the Overview and the Source page (the body
        without its writeKey, cut to 32 KiB)."""
        if error.status == 400:
            try:
                source = self._source(request, None if body is None else body.get("writeKey"))
            except IngestError:
                source = None
            if source is not None:
                kept = None if body is None else {k: v for k, v in body.items() if k != "writeKey"}
                payload = b"" if kept is None else rejected_payload(kept)
                rejection = Rejection(source.name, error.code, error.message, payload)
                failed = await self._store(Outcome(rejections=[rejection]))
                if failed is not None:
                    return failed
        return error_response(error.status, error.code, error.message)

    def _overloaded(self) -> Response | None:
        if self._log.pending() > self._max_pending:
            return overloaded("too many events are waiting to be stored; retry later")
        return None

    def single(self, kind: str, browser: bool = False) -> Endpoint:
        """`POST /v1/<kind>`: one message, the path sets its type; `browser` for the short
        paths only analytics.js uses."""

        async def endpoint(request: Request) -> Response:
            busy = self._overloaded()
            if busy is not None:
                return busy
            message: dict[str, Any] | None = None
            try:
                message = await self._body(request, MAX_SINGLE_REQUEST_BYTES)
                source = self._source(request, message.get("writeKey"))
                refused = self._over_rate(source, 1)
                if refused is not None:
                    return refused
                message["type"] = kind
                info = request_info(self._ip(request), browser=browser or _from_browser(request))
                entry = accept(message, info, source.name)
            except IngestError as error:
                return await self._refused(request, error, message)
            failed = await self._store(Outcome(entries=[entry]))
            return failed or success()

        return endpoint

    async def batch(self, request: Request) -> Response:
        """`POST /v1/batch` (and import, b): bad messages are rejected one by one."""
        busy = self._overloaded()
        if busy is not None:
            return busy
        body: dict[str, Any] | None = None
        try:
            body = await self._body(request, MAX_BATCH_REQUEST_BYTES)
            source = self._source(request, body.get("writeKey"))
            items = body.get("batch")
            if not isinstance(items, list):
                raise IngestError("invalid_request", '"batch" must be an array of messages')
            if len(items) > MAX_BATCH_EVENTS:
                raise IngestError(
                    "too_many_events",
                    f"the batch has {len(items)} messages; send at most {MAX_BATCH_EVENTS} "
                    "per request",
                )
            info = request_info(
                self._ip(request),
                body.get("sentAt"),
                _optional_object(body, "context"),
                _optional_object(body, "integrations"),
                browser=_from_browser(request),
            )
        except IngestError as error:
            return await self._refused(request, error, body)
        refused = self._over_rate(source, len(items))
        if refused is not None:
            return refused
        outcome = process_batch(items, info, source.name)
        failed = await self._store(outcome)
        if failed is not None:
            return failed
        if outcome.rejected:
            return json_response({"success": True, "rejected": outcome.rejected})
        return success()

    def pixel(self, kind: str) -> Endpoint:
        """`GET /v1/pixel/<kind>`: always the GIF; only valid events are stored."""

        async def endpoint(request: Request) -> Response:
            gif = Response(TRANSPARENT_GIF, media_type="image/gif")
            gif.headers["Cache-Control"] = "no-store"
            if self._overloaded() is not None:
                return gif
            try:
                message = pixel_message(request.query_params.multi_items())
                source = self._source(request, message.get("writeKey"))
                message["type"] = kind
                if self._limits.take(source.name, 1) is None:  # over it: dropped, still a GIF
                    info: RequestInfo = request_info(self._ip(request), browser=True)
                    await self._store(Outcome(entries=[accept(message, info, source.name)]))
            except IngestError:
                pass
            return gif

        return endpoint

    async def settings(self, request: Request) -> Response:
        """analytics.js settings pointing back at this host; 404 for an unknown key."""
        write_key = request.path_params["write_key"]
        if write_key not in self._sources:
            return error_response(404, "not_found", "unknown write key")
        origin = self._origin.of(request)
        if origin is None:
            return error_response(400, "invalid_request", "the Host header is not host[:port]")
        return json_response(settings_document(write_key, origin.host, origin.scheme))

    async def ignored(self, request: Request) -> Response:
        """`POST /v1/m`: analytics.js metrics beacon, accepted and dropped."""
        return success()

    async def health(self, request: Request) -> Response:
        return json_response({"ok": True})
