"""The webhook's settings, validated when the configuration loads."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

__all__ = ["WebhookSettings"]

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED = frozenset({"content-type", "content-length", "host", "x-signature"})


class WebhookSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST each event (or a JSON array of events) to a URL."""

    url: str
    """Where to POST; http:// or https:// only."""
    shared_secret: str | None = None
    """When set, X-Signature carries the hex HMAC-SHA1 of the body with this secret."""
    headers: dict[str, str] = {}
    """Extra request headers, e.g. Authorization."""
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    """1: one event per POST. More: POST a JSON array of up to this many events."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """In batch mode, how long to wait for a batch to fill before sending it anyway."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"url {self.url!r} must be an absolute http:// or https:// URL with a host"
            )
        for name, value in self.headers.items():
            if not _TOKEN.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if name.lower() in _RESERVED:
                raise ValueError(f"header {name!r} is set by eventyard; remove it from headers")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} must not contain line breaks")
