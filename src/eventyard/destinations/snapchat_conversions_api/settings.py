"""Snapchat Conversions API v3 settings: the pixel (or Snap app), its token, validate mode."""

from __future__ import annotations

from eventyard.destinations.ads.settings import AdSettings, BatchWait, check_segment
from eventyard.destinations.base import Secret

__all__ = ["API_VERSION", "SNAP_HOST", "SnapSettings"]

SNAP_HOST = "https://tr.snapchat.com"
API_VERSION = "v3"


class SnapSettings(AdSettings, kw_only=True):
    """Where and as whom to send conversions."""

    pixel_id: str
    """The Snap Pixel ID for web and offline events, or the Snap App ID for app events."""
    access_token: Secret
    """A Conversions API token from Ads Manager → Business Details; sent as access_token."""
    api_version: str = API_VERSION
    """The API version in the path; v2 (/v2/conversion) was deprecated in 2025."""
    api_base_url: str = SNAP_HOST
    """The Conversions API host (a proxy, or a local fake in tests)."""
    validate_only: bool = False
    """Send to /events/validate: Snap checks the events and records nothing (test mode)."""
    batch_wait_ms: BatchWait = 1000
    """How long a batch may wait to fill."""

    def __post_init__(self) -> None:
        check_segment(
            "pixel_id", self.pixel_id, r"[A-Za-z0-9-]{1,64}", "the Snap Pixel ID or Snap App ID"
        )
        super().__post_init__()

    @property
    def events_url(self) -> str:
        base = f"{self.api_base_url}/{self.api_version}/{self.pixel_id}/events"
        return f"{base}/validate" if self.validate_only else base
