"""PostHog settings: the project API key and the host of the project's region."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["EU_HOST", "US_HOST", "PostHogSettings"]

US_HOST = "https://us.i.posthog.com"
EU_HOST = "https://eu.i.posthog.com"


class PostHogSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and as which project to capture events."""

    api_key: Secret
    """The project API key (starts with `phc_`), from Project settings; not a personal key."""
    host: str = US_HOST
    """US Cloud by default; EU Cloud is https://eu.i.posthog.com; or a self-hosted URL."""
    historical_migration: bool = False
    """Mark batches as a historical import (PostHog then skips spike detection)."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """How long a batch may wait to fill: lower is fresher data, higher is fewer requests."""

    def __post_init__(self) -> None:
        if not self.api_key.strip():
            raise ValueError("api_key must be the project API key (phc_...), not empty")
        parts = urlsplit(self.host)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"host {self.host!r} must be an absolute http:// or https:// URL, "
                f"e.g. {US_HOST} or {EU_HOST}"
            )
        self.host = self.host.rstrip("/")
