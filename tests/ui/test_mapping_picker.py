"""The mappings editor's field picker: paths from the source's schema (what the router
counted) and Segment's common fields, picked instead of typing `{"@path": ...}`."""

from __future__ import annotations

import html
import time

import orjson

from eventyard.pipeline.schema import SchemaStage
from eventyard.ui.mapping_editor import path_directive, pickable
from ui.config_setup import Site, seeded, site, text_of, track

__all__ = ["seeded", "site"]

HOOK = {"name": "hook", "type": "webhook", "sources": ["web"], "settings": {"url": "https://h/"}}


async def _with_schema(site: Site) -> None:
    """A destination, an event in the log, and its schema counted as the router does."""
    await site.put("destination", HOOK)
    entry = track(
        "m-1", properties={"plan": "pro", "address": {"city": "Lyon"}, "items": [{"sku": "A"}]}
    )
    await site.append(entry)
    stage, now = SchemaStage(site.ctx.plane.live.current), time.time()
    records = [r for p in range(site.ctx.log.partitions) for r in await site.ctx.log.read(p, 0, 9)]
    await site.ctx.state.run(lambda conn: stage.screen(conn, records, [], [], now, []))


def test_only_paths_a_path_directive_can_address_are_offered() -> None:
    assert pickable(["properties.plan", "properties.items[].sku", "properties.items"]) == [
        "properties.plan",
        "properties.items",
    ]
    assert orjson.loads(path_directive("properties.plan")) == {"@path": "$.properties.plan"}


async def test_the_page_offers_schema_paths_and_a_pick_previews_and_saves(site: Site) -> None:
    await _with_schema(site)
    async with site.client("editor") as client:
        page = (await client.get("/destinations/hook/mappings")).text
        assert '<option value="properties.address.city">' in page
        assert '<option value="userId">' in page
        assert 'value="properties.items[].sku"' not in page
        assert 'src="/ui/static/mapping_picker.js"' in page

        form = site.form(
            "editor",
            event="m-1",
            enabled="on",
            subscription='type = "track"',
            **{"mapping.data": "", "pick.data": "properties.address"},
        )
        shown = await client.post(
            "/destinations/hook/mappings/send/preview", data=form, headers={"HX-Request": "true"}
        )
        assert '"data": { "city": "Lyon" }' in html.unescape(text_of(shown.text))

        saved = await client.post("/destinations/hook/mappings/send", data=form)
        assert saved.status_code == 303
    doc = (await site.objects("destination"))["hook"].doc
    assert doc["actions"]["send"]["mapping"]["data"] == {"@path": "$.properties.address"}


async def test_a_picked_path_that_is_too_long_is_refused(site: Site) -> None:
    await _with_schema(site)
    form = site.form("editor", event="m-1", **{"pick.data": "a" * 400})
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/send", data=form)
    assert answer.status_code == 400
    assert "Pick a path from the list." in text_of(answer.text)
