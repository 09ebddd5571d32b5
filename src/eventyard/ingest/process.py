"""Turning parsed messages into log entries: validate, enrich, serialise once.

This is the per-event hot path; everything shared by a request is in `RequestInfo`.
Inside a batch a bad message is not fatal: it becomes a `Rejection` recorded with the
good ones, and the response lists it by index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.errors import IngestError, PayloadTooLarge
from eventyard.log.base import Entry, Rejection
from eventyard.spec.enrich import RequestInfo, enrich
from eventyard.spec.limits import MAX_MESSAGE_BYTES, MAX_STORED_MESSAGE_BYTES
from eventyard.spec.messages import check_message

__all__ = ["Outcome", "accept", "process_batch", "rejected_payload"]


def accept(message: dict[str, Any], info: RequestInfo, source: str) -> Entry:
    """One valid message as an entry; raises IngestError naming what is wrong with it."""
    key = check_message(message)
    enrich(message, info)
    try:
        payload = orjson.dumps(message)
    except orjson.JSONEncodeError as error:
        raise IngestError(
            "invalid_request",
            f"the message cannot be stored as JSON ({error}); nest objects less than "
            "254 levels deep and keep integers within 64 bits",
        ) from None
    if len(payload) > MAX_STORED_MESSAGE_BYTES:
        raise PayloadTooLarge(
            "message_too_large",
            f"the message is over {MAX_MESSAGE_BYTES} bytes; send smaller properties or traits",
        )
    return Entry(source, key, message["messageId"], payload)


def rejected_payload(message: object) -> bytes:
    """The message for a Rejection record, cut to 32 KiB; never raises."""
    try:
        return orjson.dumps(message)[:MAX_MESSAGE_BYTES]
    except orjson.JSONEncodeError as error:
        return f"(not serialisable: {error})".encode()


@dataclass(slots=True)
class Outcome:
    """The entries to append, the rejections to record, and what the client is told."""

    entries: list[Entry] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def process_batch(items: list[Any], info: RequestInfo, source: str) -> Outcome:
    """Accept each item of a batch; bad ones become rejections, good ones entries."""
    outcome = Outcome()
    append = outcome.entries.append
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise IngestError("invalid_message", "each batch item must be a JSON object")
            append(accept(item, info, source))
        except IngestError as error:
            outcome.rejections.append(
                Rejection(source, error.code, error.message, rejected_payload(item))
            )
            outcome.rejected.append({"index": index, "code": error.code, "message": error.message})
    return outcome
