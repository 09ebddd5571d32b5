"""HTTP Request settings: default headers, an optional signing secret, and batching."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["HttpRequestSettings", "header_problem"]

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
RESERVED_HEADERS = frozenset({"content-length", "host", "transfer-encoding", "x-signature"})
"""Set by eventyard (or by HTTP itself); a mapping or setting may not override them."""


def header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent as given, or None."""
    if not _TOKEN.match(name):
        return f"header name {name!r} is not a valid HTTP header name"
    if name.lower() in RESERVED_HEADERS:
        return f"header {name!r} is set by eventyard; remove it"
    if "\r" in value or "\n" in value:
        return f"header {name!r} must not contain line breaks"
    if not value.isascii():
        return f"header {name!r} must be ASCII"
    return None


class HttpRequestSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Destination-wide defaults; the URL, method and body come from each action's mapping."""

    headers: dict[str, Secret] = {}
    """Headers sent with every request (e.g. Authorization); a mapped `headers` field wins.
    Masked when settings are shown, since they usually carry credentials."""
    shared_secret: Secret | None = None
    """When set, X-Signature carries the hex HMAC-SHA1 of the exact body bytes."""
    enable_batching: bool = False
    """Send JSON arrays of mapped `data` (one request per url/method/headers group)."""
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    """Most events per batched request."""
    batch_max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=100_000_000)] = 1_000_000
    """Most body bytes per batched request; 1 MB is nginx's default client_max_body_size."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """How long to wait for a batch to fill before sending what there is."""

    def __post_init__(self) -> None:
        for name, value in self.headers.items():
            problem = header_problem(name, value)
            if problem:
                raise ValueError(problem)
