"""Reddit Conversions API settings: the API version, the pixel or ad account, the token."""

from __future__ import annotations

from typing import Literal

from eventyard.destinations.ads.settings import AdSettings, BatchWait, check_segment
from eventyard.destinations.base import Secret

__all__ = ["REDDIT_HOST", "RedditSettings"]

REDDIT_HOST = "https://ads-api.reddit.com"
_ID = r"[A-Za-z0-9_]{1,64}"


class RedditSettings(AdSettings, kw_only=True):
    """Where and as whom to send conversions: v3 by pixel, v2.0 by ad account."""

    conversion_token: Secret
    """A conversion access token (Events Manager → Conversions API); Reddit recommends one
    that does not expire."""
    api_version: Literal["v3", "v2.0"] = "v3"
    """v3: POST /api/v3/pixels/{pixel_id}/conversion_events; v2.0 (older):
    POST /api/v2.0/conversions/events/{ad_account_id}."""
    pixel_id: str | None = None
    """The pixel ID (v3), e.g. a2_abc123 or t2_abc123, from Events Manager."""
    ad_account_id: str | None = None
    """The ad account ID (v2.0), e.g. t2_abc123."""
    api_base_url: str = REDDIT_HOST
    """The Ads API host (a proxy, or a local fake in tests)."""
    test_id: str | None = None
    """v3 test mode: the test ID from Events Manager → Test; events show up there only."""
    test_mode: bool = False
    """v2.0 test mode: Reddit validates the events and records none."""
    partner: str | None = None
    """A partner name Reddit gave you, sent with every request."""
    batch_wait_ms: BatchWait = 1000

    def __post_init__(self) -> None:
        needed, unused = ("pixel_id", "ad_account_id")
        if self.api_version == "v2.0":
            needed, unused = unused, needed
        if getattr(self, needed) is None:
            raise ValueError(f"api_version {self.api_version} needs {needed}")
        if getattr(self, unused) is not None:
            raise ValueError(f"{unused} is for the other api_version; set {needed} instead")
        check_segment(needed, str(getattr(self, needed)), _ID, "an ID such as t2_abc123")
        if self.api_version == "v3" and self.test_mode:
            raise ValueError("v3 has no test_mode; set test_id (Events Manager → Test)")
        if self.api_version == "v2.0" and self.test_id is not None:
            raise ValueError("test_id is for v3; v2.0 uses test_mode: true")
        if self.test_id is not None:
            check_segment("test_id", self.test_id, r"[A-Za-z0-9_-]{1,128}", "Reddit's test ID")
        super().__post_init__()

    @property
    def events_url(self) -> str:
        if self.api_version == "v3":
            return f"{self.api_base_url}/api/v3/pixels/{self.pixel_id}/conversion_events"
        return f"{self.api_base_url}/api/v2.0/conversions/events/{self.ad_account_id}"
