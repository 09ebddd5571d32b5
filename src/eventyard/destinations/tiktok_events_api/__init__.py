"""TikTok Events API 2.0: conversions reported for a pixel, an app or an offline event set.

Sources (conversions.md §4): business-api.tiktok.com/portal/docs (Events API 2.0),
ads.tiktok.com/help/article/event-deduplication and supported-standard-events.
`POST https://business-api.tiktok.com/open_api/v1.3/event/track/` with the `Access-Token`
header and `{"event_source", "event_source_id", "test_event_code", "data": [...]}`.
"""

from __future__ import annotations

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.ads.probe import probe_connection
from eventyard.destinations.tiktok_events_api.events import CONVERSION
from eventyard.destinations.tiktok_events_api.send import send_conversion
from eventyard.destinations.tiktok_events_api.settings import TikTokSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "TikTokSettings", "definition"]


def _test_mode(settings: TikTokSettings) -> TikTokSettings:
    """TikTok has no check that records nothing: test events need test_event_code (they then
    show up in Test Events only)."""
    if settings.test_event_code is None:
        raise TerminalError(
            "set test_event_code (Events Manager → Test Events) to test the connection: "
            "TikTok has no way to check the token without recording an event"
        )
    return settings


definition = ad_destination(
    "tiktok-events-api",
    "TikTok Events API",
    catalog_names=("TikTok Conversions", "Tiktok Conversions"),
    settings=TikTokSettings,
    actions={"send_conversion": send_conversion},
    conversion=CONVERSION,
    test_connection=probe_connection(send_conversion, _test_mode),
    description="Purchases, leads and sign-ups reported to TikTok, deduplicated with the pixel.",
    docs_url="https://business-api.tiktok.com/portal/docs?id=1771101303285761",
)
