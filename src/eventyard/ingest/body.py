"""Reading a tracking request body: bounded read, bounded gunzip, JSON object.

Every step has a hard cap so that no request, however large or however well it
compresses, makes the server buffer more than the route's limit.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from eventyard.errors import IngestError, PayloadTooLarge
from eventyard.spec.messages import kind_of

__all__ = ["decode_body", "parse_object", "read_body"]


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "payload_too_large",
        f"the request body is over {limit} bytes; send fewer or smaller events per request",
    )


async def read_body(chunks: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """The body, refusing (without reading on) as soon as it is known to exceed `limit`."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise _too_large(limit)
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def decode_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo `Content-Encoding: gzip`, stopping once the output passes `limit` (gzip bombs)."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise IngestError(
            "invalid_request",
            f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise IngestError("invalid_request", f"the body is not valid gzip: {error}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    if not inflater.eof:
        raise IngestError("invalid_request", "the gzip body is truncated")
    return out


def parse_object(raw: bytes | str) -> dict[str, Any]:
    """A JSON object, whatever the Content-Type said (browsers send text/plain)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        text = str(error)
        if text.startswith(("depth limit", "Recursion")):
            message = "the JSON is nested too deeply (more than 1024 levels)"
        elif "UTF-8" in text:
            message = f"the body is not valid UTF-8 JSON: {text}"
        else:
            message = f"malformed JSON: {text}"
        raise IngestError("invalid_request", message) from None
    if not isinstance(data, dict):
        raise IngestError("invalid_request", f"the body must be a JSON object, not {kind_of(data)}")
    return data
