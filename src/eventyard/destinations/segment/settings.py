"""Segment settings: the source's write key and the workspace's region."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["CDN_HOST", "REGION_HOSTS", "SegmentSettings"]

REGION_HOSTS = {"us": "https://api.segment.io", "eu": "https://events.eu1.segmentapis.com"}
"""Tracking API hosts; EU data sent to the US host is accepted and silently lost."""
CDN_HOST = "https://cdn.segment.com"


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} {value!r} must be an absolute http:// or https:// URL")


class SegmentSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which Segment source receives the events."""

    write_key: Secret
    """The Write Key of a Segment HTTP API (or any server) source."""
    region: Literal["us", "eu"] = "us"
    """The workspace's region: us (api.segment.io) or eu (events.eu1.segmentapis.com)."""
    endpoint: str | None = None
    """Overrides the region's Tracking API host (e.g. a proxy); /v1/batch is appended."""
    cdn_host: str = CDN_HOST
    """Where the source's settings live; test_connection reads them to check the key."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """How long a batch may wait to fill: lower is fresher data, higher is fewer requests."""

    def __post_init__(self) -> None:
        if not self.write_key.strip():
            raise ValueError("write_key must be the source's Write Key, not empty")
        if self.endpoint is not None:
            _check_url("endpoint", self.endpoint)
            self.endpoint = self.endpoint.rstrip("/")
        _check_url("cdn_host", self.cdn_host)
        self.cdn_host = self.cdn_host.rstrip("/")

    @property
    def host(self) -> str:
        return self.endpoint or REGION_HOSTS[self.region]
