"""Meta Conversions API settings: the pixel (or dataset), its token, the Graph API version."""

from __future__ import annotations

from eventyard.destinations.ads.settings import (
    AdSettings,
    BatchWait,
    check_segment,
    check_test_event_code,
)
from eventyard.destinations.base import Secret

__all__ = ["GRAPH_HOST", "GRAPH_VERSION", "MetaSettings"]

GRAPH_HOST = "https://graph.facebook.com"
GRAPH_VERSION = "v24.0"
"""Segment sends v24.0; each Graph API version is supported for at least two years."""


class MetaSettings(AdSettings, kw_only=True):
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
    batch_wait_ms: BatchWait = 1000
    """How long a batch may wait to fill; Meta wants events soon after they happen."""

    def __post_init__(self) -> None:
        check_segment("pixel_id", self.pixel_id, r"\d{1,32}", "the numeric pixel or dataset ID")
        check_test_event_code(self.test_event_code, "Test events")
        super().__post_init__()

    @property
    def events_url(self) -> str:
        return f"{self.api_base_url}/{self.api_version}/{self.pixel_id}/events"
