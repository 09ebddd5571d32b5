"""The Pixel Tracking API (segment.md §1.9): `GET /v1/pixel/<type>?data=<base64 JSON>`.

Both base64 alphabets are accepted, padded or not; without `data`, the query parameters
themselves are the message, with dotted keys (`properties.plan=pro`) nested.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Iterable
from typing import Any

from eventyard.errors import IngestError, PayloadTooLarge
from eventyard.ingest.body import parse_object
from eventyard.spec.limits import MAX_SINGLE_REQUEST_BYTES

__all__ = ["TRANSPARENT_GIF", "pixel_message"]

TRANSPARENT_GIF = b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""1x1 transparent GIF, the answer to every pixel request, even a failed one."""

_TO_STANDARD = str.maketrans({"-": "+", "_": "/", " ": "+"})


def _decode_data(data: str) -> dict[str, Any]:
    """`data` is base64 JSON; a `+` that the query decoding turned into a space is restored."""
    text = data.strip().translate(_TO_STANDARD).rstrip("=")
    if len(text) > MAX_SINGLE_REQUEST_BYTES * 4 // 3 + 4:
        raise PayloadTooLarge(
            "payload_too_large", f"pixel data is over {MAX_SINGLE_REQUEST_BYTES} bytes"
        )
    try:
        raw = b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as error:
        raise IngestError("invalid_request", f"pixel data is not base64: {error}") from None
    return parse_object(raw)


def _nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`{"properties.plan": "pro"}` -> `{"properties": {"plan": "pro"}}`."""
    message: dict[str, Any] = {}
    for key, value in pairs:
        *parents, leaf = key.split(".")
        target = message
        for part in parents:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise IngestError("invalid_request", f"query key {key!r} conflicts with {part!r}")
            target = child
        if isinstance(target.get(leaf), dict):
            raise IngestError("invalid_request", f"query key {key!r} conflicts with nested keys")
        target[leaf] = value
    return message


def pixel_message(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The message a pixel request carries, from its query parameters."""
    for key, value in pairs:
        if key == "data":
            return _decode_data(value)
    return _nest(pairs)
