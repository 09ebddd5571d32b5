"""Meta Conversions API: conversions as server events for a pixel or dataset.

Sources (conversions.md §1): developers.facebook.com/docs/marketing-api/conversions-api
(using-the-api, parameters/*, deduplicate-pixel-and-server-events, best-practices),
/docs/marketing-apis/data-processing-options, the facebook-python-business-sdk serverside
package. `POST https://graph.facebook.com/{version}/{pixel_id}/events` with a JSON body
`{"data": [...], "test_event_code"}` and the token as a Bearer header; 200 answers
`{"events_received", "messages", "fbtrace_id"}`, errors are Graph error objects (errors.py).
"""

from __future__ import annotations

import httpx

from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.meta_conversions_api.errors import meta_error
from eventyard.destinations.meta_conversions_api.events import CONVERSION
from eventyard.destinations.meta_conversions_api.send import send_conversion
from eventyard.destinations.meta_conversions_api.settings import MetaSettings

__all__ = ["CONVERSION", "MetaSettings", "definition"]


async def _test_connection(client: httpx.AsyncClient, settings: MetaSettings) -> None:
    """Reads the pixel: a bad token (190) or an unknown pixel (100/33) says what to fix."""
    response = await client.get(
        f"{settings.api_base_url}/{settings.api_version}/{settings.pixel_id}",
        params={"fields": "id,name"},
        headers={"Authorization": f"Bearer {settings.access_token}"},
    )
    if not 200 <= response.status_code < 300:
        raise meta_error(response)


definition = ad_destination(
    "meta-conversions-api",
    "Meta Conversions API",
    catalog_names=("Facebook Conversions API", "Facebook Conversions API (Actions)"),
    settings=MetaSettings,
    actions={"send_conversion": send_conversion},
    conversion=CONVERSION,
    test_connection=_test_connection,
    description="Purchases, leads and sign-ups as Meta server events, deduplicated with the pixel.",
    docs_url="https://developers.facebook.com/docs/marketing-api/conversions-api",
)
