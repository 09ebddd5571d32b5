"""The webhook's settings, validated when the configuration loads."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["WebhookSettings", "check_url", "header_problem"]

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED = frozenset({"content-type", "content-length", "host", "x-signature"})


def check_url(url: str) -> str | None:
    """Why `url` cannot be posted to, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url!r} must be an absolute http:// or https:// URL with a host"
    return None


def header_problem(name: str, value: object) -> str | None:
    """Why a header cannot be sent as given, or None."""
    if not _TOKEN.match(name):
        return f"header name {name!r} is not a valid HTTP header name"
    if name.lower() in _RESERVED:
        return f"header {name!r} is set by eventyard; remove it from headers"
    if not isinstance(value, str):
        return f"header {name!r} must be a string"
    if "\r" in value or "\n" in value:
        return f"header {name!r} must not contain line breaks"
    return None


class WebhookSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST each event (or a JSON array of events) to a URL."""

    url: str
    """Where to POST; http:// or https:// only."""
    shared_secret: Secret | None = None
    """When set, X-Signature carries the hex HMAC-SHA1 of the body with this secret."""
    headers: dict[str, Secret] = {}
    """Extra request headers, e.g. Authorization. Each value is kept as a secret (encrypted,
    shown masked), since headers usually carry credentials; the names stay readable."""
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    """1: one event per POST. More: POST a JSON array of up to this many events."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """In batch mode, how long to wait for a batch to fill before sending it anyway."""

    def __post_init__(self) -> None:
        problems = [check_url(self.url)]
        problems += [header_problem(name, value) for name, value in self.headers.items()]
        if problem := next((p for p in problems if p), None):
            raise ValueError(problem)
