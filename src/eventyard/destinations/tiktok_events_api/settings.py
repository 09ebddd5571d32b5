"""TikTok Events API settings: the event source (pixel, app or offline set) and its token."""

from __future__ import annotations

from typing import Literal

from eventyard.destinations.ads.settings import (
    AdSettings,
    BatchWait,
    check_segment,
    check_test_event_code,
)
from eventyard.destinations.base import Secret

__all__ = ["API_VERSION", "BUSINESS_API_HOST", "TikTokSettings"]

BUSINESS_API_HOST = "https://business-api.tiktok.com"
API_VERSION = "v1.3"


class TikTokSettings(AdSettings, kw_only=True):
    """Where and as whom to report events (Events API 2.0)."""

    access_token: Secret
    """Generated in Events Manager → the pixel's (or app's) settings; sent as Access-Token."""
    event_source_id: str
    """The pixel code for `web`, the TikTok App ID for `app`, the event set ID for
    `offline`/`crm`."""
    event_source: Literal["web", "app", "offline", "crm"] = "web"
    """What `event_source_id` is."""
    api_version: str = API_VERSION
    """The Business API version in the path, e.g. v1.3."""
    api_base_url: str = BUSINESS_API_HOST
    """The Business API host (a proxy, or a local fake in tests)."""
    test_event_code: str | None = None
    """From Events Manager → Test Events: events show up there only. Remove it for production."""
    batch_wait_ms: BatchWait = 1000
    """How long a batch may wait to fill."""

    def __post_init__(self) -> None:
        check_segment(
            "event_source_id",
            self.event_source_id,
            r"[A-Za-z0-9_-]{1,64}",
            "the pixel code, app ID or event set ID from Events Manager",
        )
        check_test_event_code(self.test_event_code, "Test Events")
        super().__post_init__()

    @property
    def track_url(self) -> str:
        return f"{self.api_base_url}/open_api/{self.api_version}/event/track/"
