"""Pinterest Conversions API settings: the ad account, its conversion token, test mode."""

from __future__ import annotations

from eventyard.destinations.ads.settings import AdSettings, BatchWait, check_segment
from eventyard.destinations.base import Secret

__all__ = ["API_VERSION", "PINTEREST_HOST", "PinterestSettings"]

PINTEREST_HOST = "https://api.pinterest.com"
API_VERSION = "v5"


class PinterestSettings(AdSettings, kw_only=True):
    """Where and as whom to send conversion events."""

    ad_account_id: str
    """The numeric ad account ID (Ads Manager); events go to /ad_accounts/{id}/events."""
    conversion_token: Secret
    """The conversion access token generated in Ads Manager → Conversions; sent as Bearer."""
    api_version: str = API_VERSION
    """The API version in the path, e.g. v5."""
    api_base_url: str = PINTEREST_HOST
    """The Pinterest API host (a proxy, or a local fake in tests)."""
    test_mode: bool = False
    """Add ?test=true: Pinterest checks the events and answers as usual, recording nothing."""
    batch_wait_ms: BatchWait = 1000
    """How long a batch may wait to fill (the limit is 5,000 calls a minute per ad account)."""

    def __post_init__(self) -> None:
        check_segment("ad_account_id", self.ad_account_id, r"\d{1,32}", "the numeric ad account ID")
        super().__post_init__()

    @property
    def events_url(self) -> str:
        return f"{self.api_base_url}/{self.api_version}/ad_accounts/{self.ad_account_id}/events"
