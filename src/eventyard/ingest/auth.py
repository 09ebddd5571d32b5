"""Write key resolution (segment.md §1.2): HTTP Basic username, else the body's writeKey.

`Authorization: Bearer` (Segment OAuth) is accepted with the writeKey in the body; the
token itself is not verified, the write key is what identifies the source.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping

from eventyard.control.config import SourceConfig
from eventyard.errors import IngestError

__all__ = ["Unauthorized", "basic_write_key", "resolve_source"]


class Unauthorized(IngestError):
    """No write key, or one that no configured source has."""

    status = 401


def basic_write_key(authorization: str | None) -> str | None:
    """The username of `Basic base64(writeKey:)`; the trailing colon is optional."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def resolve_source(
    sources: Mapping[str, SourceConfig], basic_key: str | None, body_key: object
) -> SourceConfig:
    """The source of a request; raises Unauthorized (401) when neither key is known."""
    if basic_key is not None:
        source = sources.get(basic_key)
        if source is not None:
            return source
    if isinstance(body_key, str) and body_key:
        source = sources.get(body_key)
        if source is not None:
            return source
    if basic_key is None and not body_key:
        raise Unauthorized(
            "unauthorized",
            "no write key: send HTTP Basic auth with the write key as username, "
            'or "writeKey" in the JSON body',
        )
    raise Unauthorized("unauthorized", "unknown write key; check the source's write key")
