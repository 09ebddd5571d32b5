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

import time

import httpx
import msgspec
import orjson

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.reddit_conversions_api.events import MAX_AGE, build
from eventyard.destinations.reddit_conversions_api.send_conversion import send, send_conversion
from eventyard.destinations.reddit_conversions_api.settings import RedditSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "RedditSettings", "definition"]

CONVERSION = ConversionSpec(
    platform="reddit",
    default_events=(REVENUE_EVENTS | LEAD_EVENTS) - {"refund"},
    # Reddit's help center ranks the click ID (rdt_cid) and the pixel's _rdt_uuid cookie as
    # the keys that tie a conversion to an ad, then email, then IP + user agent and the
    # site's external id; it publishes no weights, so these follow that order.
    match_weights={
        "rdt_cid": 4,
        "rdt_uuid": 3,
        "email": 3,
        "phone": 2,
        "external_id": 2,
        "ip": 1,
        "user_agent": 1,
    },
    # Reddit documents no minimum; any one of its match keys lets it attribute an event.
    minimum=(
        frozenset({"rdt_cid"}),
        frozenset({"rdt_uuid"}),
        frozenset({"email"}),
        frozenset({"phone"}),
        frozenset({"external_id"}),
        frozenset({"ip", "user_agent"}),
    ),
    limited_mode=True,
    max_age=MAX_AGE,
)


async def _test_connection(client: httpx.AsyncClient, settings: RedditSettings) -> None:
    """A test-mode page visit: v2.0 with test_mode, v3 with the settings' test_id."""
    if settings.api_version == "v3" and settings.test_id is None:
        raise TerminalError(
            "set test_id (Events Manager → Test) to test the connection; v3 records any "
            "event sent without it"
        )
    testing = msgspec.structs.replace(settings, test_mode=settings.api_version == "v2.0")
    probe = {"conversion": {"name": "page_view", "timestamp": time.time()}}
    await send(client, testing, [orjson.dumps(build(testing, probe))])


definition = DestinationDefinition(
    slug="reddit-conversions-api",
    name="Reddit Conversions API",
    settings=RedditSettings,
    actions={"send_conversion": send_conversion},
    ordered=False,
    consent_category="Advertising",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Conversions to Reddit Ads (v3, or v2.0), deduplicated with the Reddit pixel.",
    docs_url="https://ads-api.reddit.com/docs/v3/",
)
