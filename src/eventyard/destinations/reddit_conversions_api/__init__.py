"""Reddit Conversions API: conversions to v3 (default) or v2.0.

Sources (conversions.md §7; ads-api.reddit.com/docs v2 and v3 "Post Conversion Events";
business.reddithelp.com "About the Conversions API", event deduplication, event metadata):
- v3: POST https://ads-api.reddit.com/api/v3/pixels/{pixel_id}/conversion_events,
  `{"data": {"events": [...], "test_id", "partner"}}`; v2.0: POST
  /api/v2.0/conversions/events/{ad_account_id}, `{"events": [...], "test_mode", "partner"}`.
  Both take `Authorization: Bearer <conversion access token>`.
- Up to 1000 events per request (connectors' limit; Reddit publishes none); events up to
  7 days old. Reddit documents no per-event results: a 400 is taken to be about the events,
  and the request is split until the event it is about is alone.
- Deduplication with the pixel: `conversion_id` equal to the pixel's conversionId.
- Limited Data Use: `user.data_processing_options = {modes: ["LDU"], country, region}`.
"""

from __future__ import annotations

from msgspec.structs import replace

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.ads.probe import probe_connection
from eventyard.destinations.reddit_conversions_api.events import CONVERSION
from eventyard.destinations.reddit_conversions_api.send_conversion import send_conversion
from eventyard.destinations.reddit_conversions_api.settings import RedditSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "RedditSettings", "definition"]


def _test_mode(settings: RedditSettings) -> RedditSettings:
    """v2.0 tests with test_mode; v3 with the settings' test_id, without which it records."""
    if settings.api_version == "v3" and settings.test_id is None:
        raise TerminalError(
            "set test_id (Events Manager → Test) to test the connection; v3 records any "
            "event sent without it"
        )
    return replace(settings, test_mode=settings.api_version == "v2.0")


definition = ad_destination(
    "reddit-conversions-api",
    "Reddit Conversions API",
    catalog_names=("Reddit Conversions API",),
    settings=RedditSettings,
    actions={"send_conversion": send_conversion},
    conversion=CONVERSION,
    test_connection=probe_connection(send_conversion, _test_mode),
    description="Conversions to Reddit Ads (v3, or v2.0), deduplicated with the Reddit pixel.",
    docs_url="https://ads-api.reddit.com/docs/v3/",
)
