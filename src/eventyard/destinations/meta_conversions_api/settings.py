"""Meta Conversions API settings: the pixel (or dataset), its token, the Graph API version."""

from __future__ import annotations

from typing import Annotated

import msgspec

from eventyard.destinations.ads.settings import check_base_url, check_segment, check_version
from eventyard.destinations.base import Secret

__all__ = ["GRAPH_HOST", "GRAPH_VERSION", "MetaSettings"]

GRAPH_HOST = "https://graph.facebook.com"
GRAPH_VERSION = "v24.0"
"""Segment sends v24.0; each Graph API version is supported for at least two years."""


class MetaSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and as whom to send server events."""

    pixel_id: str
    """The pixel ID (or dataset ID) from Events Manager; events go to /{pixel_id}/events."""
    access_token: Secret
    """A system-user access token generated in Events Manager → Settings → Conversions API."""
    api_version: str = GRAPH_VERSION
    """The Graph API version in the path, e.g. v24.0."""
    api_base_url: str = GRAPH_HOST
    """The Graph API host (a proxy, or a local fake in tests)."""
    test_event_code: str | None = None
    """From Events Manager → Test events: events show up there only. Remove it for production."""
    batch_wait_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 1000
    """How long a batch may wait to fill; Meta wants events soon after they happen."""

    def __post_init__(self) -> None:
        check_segment("pixel_id", self.pixel_id, r"\d{1,32}", "the numeric pixel or dataset ID")
        if not self.access_token.strip():
            raise ValueError("access_token must not be empty")
        check_version("api_version", self.api_version, GRAPH_VERSION)
        self.api_base_url = check_base_url("api_base_url", self.api_base_url)
        if self.test_event_code is not None:
            check_segment(
                "test_event_code",
                self.test_event_code,
                r"[A-Za-z0-9_-]{1,64}",
                "the code shown in Events Manager → Test events (e.g. TEST12345)",
            )

    @property
    def events_url(self) -> str:
        return f"{self.api_base_url}/{self.api_version}/{self.pixel_id}/events"
