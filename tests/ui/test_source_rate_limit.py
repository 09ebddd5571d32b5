"""A source's rate limit on its page: turned on, changed and removed by an editor, applied to
the tracking API at once, with the refused events counted on the page."""

from __future__ import annotations

import httpx
import pytest

from eventyard.ingest.app import create_app
from eventyard.ui.app import ui_routes
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


def with_tracking(site: Site) -> httpx.AsyncClient:
    """The pages and the tracking API in one app sharing the limits, as `eventyard serve`."""
    ctx = site.ctx
    app = create_app(
        ctx.config, ctx.log, extra_routes=ui_routes(ctx), live=ctx.plane.live, limits=ctx.limits
    )
    cookies = {"eventyard_session": site.sessions["editor"]}
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://ui.test", cookies=cookies)


async def track(client: httpx.AsyncClient, write_key: str) -> int:
    event = {"userId": "u1", "event": "Signed Up"}
    return (await client.post("/v1/track", json=event, auth=(write_key, ""))).status_code


async def test_turn_on_change_and_remove_and_the_api_follows(site: Site) -> None:
    write_key = (await site.objects("source"))["web"].doc["write_key"]
    async with with_tracking(site) as client:
        page = text_of((await client.get("/sources/web")).text)
        assert "Off: this source takes what the server can store." in page

        form = site.form("editor", events_per_second="0.01", burst="2")
        saved = await client.post("/sources/web/rate-limit", data=form)
        assert saved.status_code == 303
        assert saved.headers["location"] == "/sources/web?done=saved#rate-limit"
        assert [await track(client, write_key) for _ in range(3)] == [200, 200, 429]
        page = text_of((await client.get("/sources/web")).text)
        assert "0.01 events per second, bursts of 2 events. 1 events refused" in page
        doc = (await site.objects("source"))["web"].doc
        assert doc["rate_limit"] == {"events_per_second": 0.01, "burst": 2}

        clear = site.form("editor", clear="on")
        removed = await client.post("/sources/web/rate-limit", data=clear)
        assert removed.headers["location"] == "/sources/web?done=deleted#rate-limit"
        assert await track(client, write_key) == 200
    assert "rate_limit" not in (await site.objects("source"))["web"].doc


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"events_per_second": ""}, "Type the events per second as a number"),
        ({"events_per_second": "fast"}, "Type the events per second as a number"),
        ({"events_per_second": "0"}, "rate_limit.events_per_second"),
        ({"events_per_second": "5", "burst": "²"}, "Type the burst as a whole number"),
        ({"events_per_second": "5", "burst": "0"}, "rate_limit.burst"),
    ],
)
async def test_bad_values_are_refused_saying_what_to_type(
    site: Site, fields: dict[str, str], message: str
) -> None:
    async with site.client("editor") as client:
        response = await client.post("/sources/web/rate-limit", data=site.form("editor", **fields))
    assert response.status_code == 400
    assert message in text_of(response.text)
    assert f'value="{fields["events_per_second"]}"' in response.text  # what was typed stays
    assert "rate_limit" not in (await site.objects("source"))["web"].doc


async def test_viewers_see_the_limit_but_cannot_change_it(site: Site) -> None:
    async with site.client("viewer") as client:
        page = (await client.get("/sources/web")).text
        refused = await client.post(
            "/sources/web/rate-limit", data=site.form("viewer", events_per_second="1")
        )
    assert "Editors set it." in text_of(page) and 'name="events_per_second"' not in page
    assert refused.status_code == 403
