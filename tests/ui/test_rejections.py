"""Rejected events counted per source on the Overview and the Source page, through the
tracking API: single calls answered 400, batches refused whole, bad messages in a batch."""

from __future__ import annotations

import httpx

from eventyard.ingest.app import create_app
from eventyard.ui.app import ui_routes
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


def _with_tracking(site: Site) -> httpx.AsyncClient:
    ctx = site.ctx
    app = create_app(ctx.config, ctx.log, extra_routes=ui_routes(ctx), live=ctx.plane.live)
    cookies = {"eventyard_session": site.sessions["viewer"]}
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://ui.test", cookies=cookies)


async def test_rejections_are_counted_per_source_with_a_sample(site: Site) -> None:
    write_key = (await site.objects("source"))["web"].doc["write_key"]
    auth = (write_key, "")
    async with _with_tracking(site) as client:
        page = text_of((await client.get("/sources/web")).text)
        assert "Rejected events" in page and "None in the last 24 h." in page
        lost = await client.post("/v1/track", json={"event": "Lost 0"}, auth=auth)
        assert lost.status_code == 400  # no userId nor anonymousId
        keyed = {"event": "Lost 1", "writeKey": write_key}
        assert (await client.post("/v1/track", json=keyed)).status_code == 400
        whole = await client.post("/v1/batch", json={"batch": "nope"}, auth=auth)
        assert whole.status_code == 400
        body = {"writeKey": write_key, "batch": [{"type": "track", "userId": "u1"}, 7]}
        mixed = await client.post("/v1/batch", json=body)
        assert mixed.status_code == 200 and len(mixed.json()["rejected"]) == 2
        stranger = await client.post("/v1/track", json={"event": "x"}, auth=("unknown", ""))
        assert stranger.status_code == 401  # no source: not counted anywhere

        overview = (await client.get("/")).text
        source_page = (await client.get("/sources/web")).text
    rows = text_of(overview).replace("&#34;", '"')
    assert "5 rejected" in text_of(overview) and 'href="/sources/web#rejected"' in overview
    assert (
        'web no_user_anon_id userId or anonymousId is required 2 just now {"event":"Lost 1",'
        in rows
    )
    assert 'web invalid_request "batch" must be an array of messages 1' in rows
    assert "web no_event_name event is required for track calls 1" in rows
    assert "web invalid_message each batch item must be a JSON object 1" in rows
    assert write_key not in rows  # the body's writeKey is not kept
    page = text_of(source_page)
    assert "no_user_anon_id" in page and "None in the last 24 h." not in page
