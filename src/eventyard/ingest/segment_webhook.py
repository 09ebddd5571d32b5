"""Signed ingest from Segment: `POST /v1/segment-webhook/{source}`.

For running eventyard beside Segment: a Segment Webhooks destination (classic, or Actions
with batching) forwards a subset of events here, signed with the shared secret that is the
source's `webhook_secret`. Segment signs each request with `X-Signature`: the hex HMAC-SHA1
of the request body (as sent) keyed with that secret; anything else is refused with 401
before the body is even decoded.

The body is one event, an array of events, or `{"batch": [...]}`. Each event is kept as
Segment sent it: messageId, userId/anonymousId, traits, context (consent included), and its
times: `timestamp` (Segment's clock-skew corrected time), `originalTimestamp` and `sentAt`
are not corrected again. `receivedAt` is eventyard's, like for every event; Segment's is kept
as `context.segment.receivedAt`. `context.ip` is Segment's (the user's), never the address
of Segment's servers. Then the events take the tracking API's path: the same validation,
the same rejections per event, and the same durable append before the 200.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.config import Config
from eventyard.errors import IngestError, PayloadTooLarge
from eventyard.ingest.api import TrackingApi
from eventyard.ingest.auth import Unauthorized
from eventyard.ingest.body import decode_body, parse_object, read_body
from eventyard.ingest.process import Outcome, process_batch
from eventyard.ingest.responses import error_response, json_response, success
from eventyard.log.base import EventLog
from eventyard.spec.enrich import RequestInfo, request_info
from eventyard.spec.limits import MAX_BATCH_EVENTS, MAX_BATCH_REQUEST_BYTES
from eventyard.spec.messages import kind_of
from eventyard.spec.timestamps import format_iso, parse_iso

__all__ = ["PATH", "SegmentWebhook", "signature"]

PATH = "/v1/segment-webhook/{source}"
_MAX_SIGNATURE = 128


def signature(secret: str, body: bytes) -> str:
    """What Segment sends as `X-Signature` for `body`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def _events(body: bytes) -> list[Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = parse_object(body)  # raises the tracking API's message for bad JSON
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        items: list[Any] = data["batch"]
    elif isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise IngestError(
            "invalid_request",
            f'the body must be an event, an array of events or {{"batch": [...]}}, '
            f"not {kind_of(data)}",
        )
    if len(items) > MAX_BATCH_EVENTS:
        raise IngestError(
            "too_many_events",
            f"the request has {len(items)} events; set the Webhooks destination's batch size "
            f"to at most {MAX_BATCH_EVENTS}",
        )
    return items


def _as_sent(message: Any, shared: RequestInfo) -> RequestInfo:
    """Prepare one forwarded event so that ingest keeps Segment's times as they are.

    Ingest corrects `timestamp` by `sentAt`; Segment did that already, so the event goes in
    with its `originalTimestamp` and the offset Segment applied (timestamp - original), which
    gives back Segment's `timestamp`, and with Segment's `sentAt`.
    """
    if not isinstance(message, dict):
        return shared
    sent = parse_iso(message.pop("sentAt", None))
    original = parse_iso(message.get("originalTimestamp"))
    corrected = parse_iso(message.get("timestamp"))
    offset = None
    if original is not None and corrected is not None:
        del message["timestamp"]
        offset = corrected - original
    received = message.get("receivedAt")
    context = message.get("context")
    if isinstance(received, str) and (context is None or isinstance(context, dict)):
        context = message["context"] = context or {}
        ours = context.get("segment")
        context["segment"] = {**(ours if isinstance(ours, dict) else {}), "receivedAt": received}
    return dataclasses.replace(shared, sent_at=format_iso(sent) if sent else None, offset=offset)


class SegmentWebhook(TrackingApi):
    """The tracking API's storage path (back-pressure, durable append) behind Segment's
    signed webhook requests; sources are found by name, and need a `webhook_secret`."""

    def __init__(self, config: Config, log: EventLog) -> None:
        super().__init__(config, log)
        self._by_name = {source.name: source for source in config.sources}

    def reconfigure(self, config: Config) -> None:
        super().reconfigure(config)
        self._by_name = {source.name: source for source in config.sources}

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.receive, methods=["POST"])]

    async def _signed_body(self, request: Request, secret: str) -> bytes:
        headers = request.headers
        try:
            raw = await read_body(
                request.stream(), headers.get("content-length"), MAX_BATCH_REQUEST_BYTES
            )
        except ClientDisconnect:
            raise IngestError("invalid_request", "the client disconnected mid-body") from None
        given = headers.get("x-signature", "").strip().lower()[:_MAX_SIGNATURE]
        if not hmac.compare_digest(given.encode(), signature(secret, raw).encode()):
            message = "missing or wrong X-Signature: sign with the source's webhook_secret"
            raise Unauthorized("invalid_signature", message)
        return decode_body(raw, headers.get("content-encoding"), MAX_BATCH_REQUEST_BYTES)

    async def receive(self, request: Request) -> Response:
        """One event or a batch from a Segment Webhooks destination."""
        busy = self._overloaded()
        if busy is not None:
            return busy
        name = request.path_params["source"]
        source = self._by_name.get(name)
        if source is None:
            return error_response(404, "unknown_source", f"no source named {name[:80]!r}")
        if not source.webhook_secret:
            message = (
                f"source {source.name!r} takes no Segment webhooks: set its webhook_secret to "
                "the shared secret of the Segment Webhooks destination"
            )
            return error_response(403, "webhook_disabled", message)
        try:
            items = _events(await self._signed_body(request, source.webhook_secret))
        except IngestError as error:
            status = 413 if isinstance(error, PayloadTooLarge) else error.status
            return error_response(status, error.code, error.message)
        shared = request_info(None)
        outcome = Outcome()
        for index, item in enumerate(items):
            one = process_batch([item], _as_sent(item, shared), source.name)
            outcome.entries += one.entries
            outcome.rejections += one.rejections
            outcome.rejected += [{**problem, "index": index} for problem in one.rejected]
        failed = await self._store(outcome)
        if failed is not None:
            return failed
        if outcome.rejected:
            return json_response({"success": True, "rejected": outcome.rejected})
        return success()
