"""The Filter tab: counts over real events appended to the SQLite log, syntax errors with their
column, and saving."""

from __future__ import annotations

import re

import pytest

from ui.config_setup import Site, seeded, site, text_of, track

__all__ = ["seeded", "site"]

HOOK = {"name": "hook", "type": "webhook", "sources": ["web"], "settings": {"url": "https://h/"}}


async def seeded_events(site: Site) -> None:
    await site.put("destination", HOOK)
    await site.put("source", {"name": "app"})
    await site.append(
        track("m1", properties={"revenue": 150}),
        track("m2", properties={"revenue": 20}),
        track("m3", event="Signed Up"),
        track("m4", type="identify", event=None, userId="u9"),
        track("m5", source="app", properties={"revenue": 999}),  # not a source of hook
    )


async def preview(site: Site, text: str, role: str = "viewer") -> str:
    async with site.client(role) as client:
        answer = await client.post(
            "/destinations/hook/filter/preview",
            data=site.form(role, filter=text),
            headers={"HX-Request": "true"},
        )
    assert answer.status_code == 200
    return text_of(answer.text)


async def test_the_preview_counts_the_recent_events_the_filter_keeps(site: Site) -> None:
    await seeded_events(site)
    assert "Keeps 2 of the last 4 events (50%)" in await preview(site, 'event = "Order Completed"')
    assert "Keeps 1 of the last 4 events" in await preview(site, "properties.revenue > 100")
    assert "Keeps 0 of the last 4 events" in await preview(site, 'type = "page"')
    assert "No filter: every event is sent (4 of the last 4)" in await preview(site, "  ")


async def test_syntax_errors_show_the_column(site: Site) -> None:
    await seeded_events(site)
    shown = await preview(site, 'type = "track" and and')
    assert "Syntax error at column 20" in shown
    async with site.client("viewer") as client:
        answer = await client.post(
            "/destinations/hook/filter/preview",
            data=site.form("viewer", filter='type = "track" and and'),
        )
    caret = re.search(r"<pre>(.*)\n( *)\^</pre>", answer.text)
    assert caret and len(caret.group(2)) == 19


async def test_without_recent_events_the_preview_says_so(site: Site) -> None:
    await site.put("destination", HOOK)
    assert "No recent events from web" in await preview(site, 'type = "track"')


async def test_the_page_shows_the_saved_filter_and_its_count(site: Site) -> None:
    await seeded_events(site)
    await site.put("destination", {**HOOK, "filter": 'type = "identify"'})
    async with site.client("viewer") as client:
        page = await client.get("/destinations/hook/filter")
    assert "type = &#34;identify&#34;</textarea>" in page.text
    assert "Keeps 1 of the last 4 events" in text_of(page.text)


async def test_saving_a_filter(site: Site) -> None:
    await seeded_events(site)
    async with site.client("editor") as client:
        answer = await client.post(
            "/destinations/hook/filter", data=site.form("editor", filter=' event = "Signed Up" ')
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/destinations/hook/filter?done=saved"
        assert (await site.objects("destination"))["hook"].doc["filter"] == 'event = "Signed Up"'
        cleared = await client.post(
            "/destinations/hook/filter", data=site.form("editor", filter="")
        )
        assert cleared.status_code == 303
    assert "filter" not in (await site.objects("destination"))["hook"].doc
    assert site.ctx.config.destinations[0].filter is None


@pytest.mark.parametrize(
    "text",
    ['type = "track" and', "(" * 200 + "true" + ")" * 200, "x" * 20_000, "unknown_fn(type)"],
)
async def test_invalid_filters_are_not_saved(site: Site, text: str) -> None:
    await seeded_events(site)
    async with site.client("editor") as client:
        answer = await client.post(
            "/destinations/hook/filter", data=site.form("editor", filter=text)
        )
    assert answer.status_code == 400
    assert 'class="result bad"' in answer.text
    assert "filter" not in (await site.objects("destination"))["hook"].doc


async def test_html_in_a_filter_is_escaped(site: Site) -> None:
    await seeded_events(site)
    hostile = 'event = "</textarea><script>alert(1)</script>"'
    async with site.client("editor") as client:
        answer = await client.post(
            "/destinations/hook/filter", data=site.form("editor", filter=hostile)
        )
        page = await client.get("/destinations/hook/filter")
    assert answer.status_code == 303
    assert "<script>alert(1)" not in page.text
    assert "Keeps 0 of the last 4 events" in text_of(page.text)
