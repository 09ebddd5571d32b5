"""Amplitude settings: keys, data residency region, and the host override tests use."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["DASHBOARD_HOSTS", "INGEST_HOSTS", "AmplitudeSettings"]

INGEST_HOSTS = {
    "north_america": "https://api2.amplitude.com",
    "europe": "https://api.eu.amplitude.com",
}
"""HTTP V2, Batch Event Upload and Identify API hosts per data residency."""
DASHBOARD_HOSTS = {
    "north_america": "https://amplitude.com",
    "europe": "https://analytics.eu.amplitude.com",
}
"""Dashboard REST API hosts (User Search, used to check the keys)."""


class AmplitudeSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and how to send to one Amplitude project."""

    api_key: Secret
    """The project's API key; goes in every ingestion request body."""
    secret_key: Secret | None = None
    """The project's secret key; only needed for the connection test (Dashboard REST API)."""
    endpoint: Literal["north_america", "europe"] = "north_america"
    """Data residency: north_america api2.amplitude.com, europe api.eu.amplitude.com."""
    api_host: str | None = None
    """Overrides every Amplitude host (a proxy, or a local fake in tests)."""
    use_batch_endpoint: bool = False
    """Send events to /batch (20 MB, 1000 events/s per user) instead of /2/httpapi (1 MB,
    30 events/s per user): fewer 429s for heavy users, slower to show up in charts."""
    min_id_length: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Amplitude rejects user and device ids shorter than 5 characters unless this is set."""

    def __post_init__(self) -> None:
        if not self.api_key.strip():
            raise ValueError("api_key must not be empty")
        if self.api_host is not None:
            parts = urlsplit(self.api_host)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"api_host {self.api_host!r} must be an absolute http:// or https:// URL"
                )

    @property
    def ingest_url(self) -> str:
        return (self.api_host or INGEST_HOSTS[self.endpoint]).rstrip("/")

    @property
    def dashboard_url(self) -> str:
        return (self.api_host or DASHBOARD_HOSTS[self.endpoint]).rstrip("/")

    @property
    def id_length(self) -> int:
        return self.min_id_length or 5
