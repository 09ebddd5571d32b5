"""GA4 Measurement Protocol settings: the stream (web or app), its API secret, the host."""

from __future__ import annotations

import re

from eventyard.destinations.ads.settings import AdSettings, BatchWait
from eventyard.destinations.base import Secret

__all__ = ["GA4_HOST", "Ga4Settings"]

GA4_HOST = "https://www.google-analytics.com"
"""Google's collection host; `https://region1.google-analytics.com` collects in the EU."""
_MEASUREMENT_ID = re.compile(r"G-[A-Z0-9]{4,20}")
_FIREBASE_APP_ID = re.compile(r"\d{1,3}:\d{1,20}:(android|ios|web):[0-9a-f]{1,64}")


class Ga4Settings(AdSettings, kw_only=True):
    """One GA4 data stream: a web stream (measurement_id) or an app stream (firebase_app_id)."""

    api_secret: Secret
    """Admin → Data streams → (stream) → Measurement Protocol API secrets → Create."""
    measurement_id: str | None = None
    """A web stream's measurement ID (`G-XXXXXXX`); events then need a client_id."""
    firebase_app_id: str | None = None
    """An app stream's Firebase App ID; events then need an app_instance_id."""
    api_base_url: str = GA4_HOST
    """The collection host (`https://region1.google-analytics.com` for EU collection, a local
    fake in tests); events go to `/mp/collect` under it."""
    debug: bool = False
    """Send to `/debug/mp/collect`: GA4 validates the events and records none; its validation
    messages fail the events, so a new mapping can be checked before it goes live."""
    batch_wait_ms: BatchWait = 1000
    """How long a batch may wait to fill (events of one user at one moment share a request)."""

    def __post_init__(self) -> None:
        if (self.measurement_id is None) == (self.firebase_app_id is None):
            raise ValueError(
                "set exactly one of measurement_id (a web stream, G-XXXXXXX) and "
                "firebase_app_id (an app stream)"
            )
        if self.measurement_id is not None and not _MEASUREMENT_ID.fullmatch(self.measurement_id):
            raise ValueError(
                f"measurement_id {self.measurement_id!r} must look like G-XXXXXXX "
                "(Admin → Data streams → the web stream)"
            )
        if self.firebase_app_id is not None and not _FIREBASE_APP_ID.fullmatch(
            self.firebase_app_id
        ):
            raise ValueError(
                f"firebase_app_id {self.firebase_app_id!r} must look like "
                "1:1234567890:android:0123abcd (Firebase → Project settings → Your apps)"
            )
        super().__post_init__()

    @property
    def stream(self) -> dict[str, str]:
        """The query parameters naming the stream and its secret."""
        if self.measurement_id is not None:
            return {"measurement_id": self.measurement_id, "api_secret": self.api_secret}
        return {"firebase_app_id": str(self.firebase_app_id), "api_secret": self.api_secret}

    @property
    def app_stream(self) -> bool:
        return self.firebase_app_id is not None

    @property
    def collect_url(self) -> str:
        return f"{self.api_base_url}/{'debug/' if self.debug else ''}mp/collect"
