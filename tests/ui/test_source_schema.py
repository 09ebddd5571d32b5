"""The source Schema page: what the router counted per event and path, the tracking-plan
status of each, and the block toggle that drops an event before every destination."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import orjson
from starlette.applications import Starlette

from eventyard.control import store
from eventyard.delivery import trace
from eventyard.log.base import Entry
from eventyard.pipeline.schema import MAX_PATHS, paths_of
from eventyard.ui.app import ui_routes
from eventyard.ui.session import csrf_token
from ui.config_setup import text_of
from ui.live_setup import Ui, ui

__all__ = ["ui"]


def _entry(message_id: str, body: Mapping[str, object]) -> Entry:
    body = {"userId": "u1", "messageId": message_id, **body}
    return Entry("web", "u1", message_id, orjson.dumps(body))


ORDER = {
    "type": "track",
    "event": "Order Completed",
    "properties": {"revenue": 10, "products": [{"sku": "A"}, {"sku": "B", "price": 2}]},
}
IDENTIFY = {"type": "identify", "traits": {"email": "a@example.com", "address": {"city": "X"}}}


def _client(ui: Ui, role: str = "editor") -> httpx.AsyncClient:
    app = Starlette(routes=ui_routes(ui.ctx))
    cookies = {"eventyard_session": ui.sessions[role]}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ui", cookies=cookies
    )


async def _toggle(ui: Ui, client: httpx.AsyncClient, event: str, block: str) -> httpx.Response:
    form = {"csrf_token": csrf_token(ui.sessions["editor"]), "event": event, "block": block}
    answer = await client.post("/sources/web/schema/block", data=form)
    ui.router.reconfigure(ui.ctx.plane.live.current)  # what `eventyard serve` does on change
    return answer


def test_paths_cover_properties_traits_and_array_items_within_bounds() -> None:
    assert paths_of(ORDER) == [
        "properties.revenue",
        "properties.products",
        "properties.products[].sku",
        "properties.products[].price",
    ]
    assert paths_of(IDENTIFY) == ["traits.email", "traits.address", "traits.address.city"]
    wide = {"type": "track", "properties": {f"k{n}": n for n in range(MAX_PATHS + 50)}}
    assert len(paths_of(wide)) == MAX_PATHS


async def test_counts_block_and_unblock_an_event_through_the_page(ui: Ui) -> None:
    await ui.append(_entry("m1", ORDER), _entry("m2", ORDER), _entry("m3", IDENTIFY))
    await ui.route_and_deliver()
    async with _client(ui) as client:
        page = text_of((await client.get("/sources/web/schema")).text)
        assert "Order Completed no plan 2 2 2" in page
        assert "properties.products[].sku no plan 2 2 2" in page
        assert "properties.products[].price no plan 2 2 2" in page
        assert "identify no plan 1 1 1" in page
        assert "traits.address.city" in page

        answer = await _toggle(ui, client, "Order Completed", "on")
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("?done=saved#event-Order%20Completed")
        source = await ui.ctx.plane.read(lambda c: store.get_object(c, "source", "default", "web"))
        assert source is not None and source.doc["schema"] == {
            "blocked_events": ["Order Completed"]
        }

        await ui.append(_entry("m4", ORDER), _entry("m5", {"type": "track", "event": "Other"}))
        await ui.route_and_deliver()
        steps = await ui.state.run(lambda conn: trace.steps_for(conn, "m4"))
        assert [(s.destination, s.step) for s in steps] == [("hook", "blocked")]
        assert steps[0].detail.startswith("blocked by schema: source 'web' blocks")
        delivered = {orjson.loads(r.body)["messageId"] for r in ui.receiver.requests}
        assert {"m1", "m2", "m5"} <= delivered and "m4" not in delivered
        page = text_of((await client.get("/sources/web/schema")).text)
        assert "Order Completed no plan 3 3 3 (1 blocked)" in page
        assert "Blocked · unblock" in page

        await _toggle(ui, client, "Order Completed", "off")
        source = await ui.ctx.plane.read(lambda c: store.get_object(c, "source", "default", "web"))
        assert source is not None and "schema" not in source.doc
        await ui.append(_entry("m6", ORDER))
        await ui.route_and_deliver()
        steps = await ui.state.run(lambda conn: trace.steps_for(conn, "m6"))
        assert steps[-1].step == "delivered"


async def test_plan_status_of_events_and_paths(ui: Ui) -> None:
    plan = {
        "name": "shop",
        "sources": ["web"],
        "events": {
            "Order Completed": {
                "type": "object",
                "properties": {"revenue": {"type": "number"}, "products": {"type": "array"}},
            },
            "Signed Up": {"type": "object", "properties": {"plan": {"type": "string"}}},
        },
    }
    box = ui.ctx.plane.box
    await ui.ctx.plane.change(
        lambda c: store.put_object(c, box, "tracking_plan", "default", plan, "test")
    )
    ui.router.reconfigure(ui.ctx.plane.live.current)
    signed_up = {"type": "track", "event": "Signed Up", "properties": {"plan": 3}}
    await ui.append(
        _entry("p1", ORDER),
        _entry("p2", {"type": "track", "event": "Unplanned"}),
        _entry("p3", signed_up),
    )
    await ui.route_and_deliver()
    async with _client(ui, "viewer") as client:
        html = (await client.get("/sources/web/schema")).text
    page = text_of(html)
    assert "Order Completed planned 1" in page
    assert "properties.revenue planned 1" in page
    assert "properties.products[].sku unplanned 1" in page
    assert "Signed Up violations 1" in page  # plan is a number, the plan says string
    assert "properties.plan violations 1" in page
    assert "Unplanned violations 1" in page  # an unplanned event is a violation itself
    assert "tracking plan shop" in page
    assert "/schema/block" not in html  # viewers see the state, not the toggle


async def test_bad_toggle_and_unknown_source(ui: Ui) -> None:
    async with _client(ui) as client:
        answer = await _toggle(ui, client, "", "on")
        assert answer.status_code == 400
        assert "Pick an event of the list to block." in text_of(answer.text)
        assert (await client.get("/sources/otherws-src/schema")).status_code == 404
    async with _client(ui, "viewer") as client:
        refused = await _toggle(ui, client, "Order Completed", "on")
        assert refused.status_code == 403
