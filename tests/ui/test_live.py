"""The live debugger: source picker, recent events, the SSE stream and each event's trace."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import orjson
import pytest

from eventyard.log.base import Entry
from eventyard.ui import live
from eventyard.ui.describe import MAX_CELL
from eventyard.ui.jsonview import MAX_JSON, event_row, highlight_json
from eventyard.ui.live_tail import parse_cursor, tail
from ui.live_setup import Ui, event, serving, ui

__all__ = ["ui"]

Message = dict[str, str]


async def next_message(lines: AsyncIterator[str], kind: str | None = None) -> Message:
    """The next server-sent event (of `kind`, if given), fields joined as the spec says."""
    current: Message = {}
    async with asyncio.timeout(5):
        async for line in lines:
            if line == "":
                if current and (kind is None or current.get("event") == kind):
                    return current
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                if name == "data" and "data" in current:
                    value = current["data"] + "\n" + value
                current[name] = value
    raise AssertionError(f"the stream ended before a {kind or 'any'} event")


def cookies(ui: Ui, role: str) -> dict[str, str]:
    return {"eventyard_session": ui.sessions[role]}


async def test_picker_lists_the_workspace_sources_with_counts(ui: Ui) -> None:
    await ui.append(event("m1"), event("m2"), event("m3", source="app"))
    await ui.route_and_deliver()
    async with ui.client("viewer") as client:
        page = await client.get("/debugger")
    assert page.status_code == 200, page.text
    assert 'href="/debugger/web"' in page.text and 'href="/debugger/app"' in page.text
    assert "otherws" not in page.text
    assert "<strong>2</strong> last hour" in page.text


async def test_source_page_lists_recent_events_escaped_and_bounded(ui: Ui) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    huge = "x" * (3 * MAX_JSON)
    await ui.append(
        event("m-hostile", properties={"note": hostile}, event=hostile),
        event("m-huge", properties={"blob": huge}),
        event("m-app", source="app"),
        event("m-other", source="otherws-src"),
    )
    async with ui.client("viewer") as client:
        page = await client.get("/debugger/web")
    assert page.status_code == 200, page.text
    assert 'data-message-id="m-hostile"' in page.text
    assert 'data-message-id="m-huge"' in page.text
    assert "m-app" not in page.text and "m-other" not in page.text
    assert hostile not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "more characters not shown" in page.text
    assert len(page.text) < 2 * MAX_JSON + 50_000
    assert 'data-stream="/debugger/web/stream?after=' in page.text


async def test_rows_name_pages_identifies_and_groups_not_just_tracks(ui: Ui) -> None:
    await ui.append(
        event("m-page", type="page", event=None, context={"page": {"path": "/pricing"}}),
        event("m-screen", type="screen", event=None, name="Home"),
        event("m-identify", type="identify", event=None, traits={"email": "ada@example.com"}),
        event("m-group", type="group", event=None, groupId="acme"),
    )
    async with ui.client("viewer") as client:
        page = await client.get("/debugger/web")
    names = re.findall(r'<td class="name">([^<]*)</td>', page.text)
    assert sorted(names) == ["/pricing", "Home", "acme", "ada@example.com"]


async def test_unknown_or_foreign_sources_are_not_found(ui: Ui) -> None:
    paths = [
        "/debugger/nope",
        "/debugger/otherws-src",
        "/debugger/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/debugger/otherws-src/stream",
        "/debugger/otherws-src/trace/m1",
        "/debugger/" + "a" * 5000,
    ]
    async with ui.client("owner") as client:
        for path in paths:
            page = await client.get(path)
            assert page.status_code == 404, path
            assert "<script>alert" not in page.text
    # the message quotes a bounded part of a long name
    assert "no source named &#39;" + "a" * 100 + "&#39;" in page.text


async def test_another_workspace_cannot_see_this_one(ui: Ui) -> None:
    async with ui.client("stranger") as client:
        assert (await client.get("/debugger/web")).status_code == 404
        picker = await client.get("/debugger")
    assert "/debugger/otherws-src" in picker.text and "/debugger/web" not in picker.text


async def test_signed_out_visitors_go_to_the_login_page(ui: Ui) -> None:
    async with ui.client(None) as client:
        for path in ("/debugger", "/debugger/web", "/debugger/web/stream"):
            response = await client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")


async def test_trace_shows_this_workspace_destinations_only(ui: Ui) -> None:
    mid = "order/42?x=<b>"
    await ui.append(event(mid), event(mid, source="otherws-src"), event("m-filtered"))
    await ui.route_and_deliver()
    async with ui.client("viewer") as client:
        trace = await client.get(f"/debugger/web/trace/{quote(mid)}")
        app_trace = await client.get("/debugger/app/trace/never-seen")
    assert trace.status_code == 200, trace.text
    assert 'href="/delivery/hook"' in trace.text
    assert "Queued" in trace.text and "Delivered" in trace.text
    assert "otherws" not in trace.text
    assert "Not routed yet" in app_trace.text and 'href="/delivery/ads"' in app_trace.text


async def test_stream_sends_new_events_of_its_source_as_escaped_rows(ui: Ui) -> None:
    async with (
        serving(ui.app) as base,
        httpx.AsyncClient(base_url=base, cookies=cookies(ui, "viewer")) as client,
        client.stream("GET", "/debugger/web/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        hello = await next_message(lines, "hello")
        assert hello["id"] == "0.0.0.0"
        await ui.append(event("m-app", source="app"), event("m-new", event="<script>x</script>"))
        message = await next_message(lines, "events")
    assert 'data-message-id="m-new"' in message["data"]
    assert "m-app" not in message["data"]
    assert "<script>x" not in message["data"] and "&lt;script&gt;x" in message["data"]
    assert message["id"] != hello["id"]


async def test_a_reconnecting_stream_resumes_from_its_last_event_id(ui: Ui) -> None:
    await ui.append(event("m-before"))
    cursor = ".".join(map(str, await ui.log.end_offsets()))
    await ui.append(event("m-missed"))
    async with (
        serving(ui.app) as base,
        httpx.AsyncClient(base_url=base, cookies=cookies(ui, "viewer")) as client,
        client.stream("GET", "/debugger/web/stream", headers={"Last-Event-ID": cursor}) as r,
    ):
        message = await next_message(r.aiter_lines(), "events")
    assert "m-missed" in message["data"] and "m-before" not in message["data"]


async def test_streams_are_bounded_in_number_and_in_time(
    ui: Ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "MAX_STREAMS", 1)
    monkeypatch.setattr(live, "STREAM_S", 0.5)
    async with (
        serving(ui.app) as base,
        httpx.AsyncClient(base_url=base, cookies=cookies(ui, "viewer")) as client,
    ):
        async with client.stream("GET", "/debugger/web/stream") as first:
            lines = first.aiter_lines()  # kept: dropping it would close the connection
            await next_message(lines, "hello")
            refused = await client.get("/debugger/web/stream")
            assert refused.status_code == 503
            assert "close one and retry" in refused.text
            async with asyncio.timeout(5):
                rest = [line async for line in lines]  # the server ends it
        assert "event: hello" not in rest
        again = await client.get("/debugger/web/stream")  # the slot is free again
    assert again.status_code == 200 and "event: hello" in again.text


async def test_a_browser_going_away_frees_its_stream_at_once(
    ui: Ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "MAX_STREAMS", 1)
    async with (
        serving(ui.app) as base,
        httpx.AsyncClient(base_url=base, cookies=cookies(ui, "viewer")) as client,
    ):
        async with client.stream("GET", "/debugger/web/stream") as first:
            await next_message(first.aiter_lines(), "hello")
        # closed long before its 15 s are up: the next one may open
        async with asyncio.timeout(5):
            while True:
                async with client.stream("GET", "/debugger/web/stream") as again:
                    if again.status_code == 200:
                        break
                await asyncio.sleep(0.05)


async def test_a_shutting_down_server_ends_open_streams_at_once(ui: Ui) -> None:
    """STREAM_S is 15 s; `stopping` must not wait for it (nor for the tail's 1 s poll)."""
    async with (
        serving(ui.app) as base,
        httpx.AsyncClient(base_url=base, cookies=cookies(ui, "viewer")) as client,
        client.stream("GET", "/debugger/web/stream") as stream,
    ):
        lines = stream.aiter_lines()
        await next_message(lines, "hello")
        await asyncio.sleep(0.2)  # the tail is waiting for appends now
        ui.ctx.stopping.set()
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(1):
            rest = [line async for line in lines]  # the server ends the response
        ended = asyncio.get_running_loop().time() - started
        again = await client.get("/debugger/web/stream")  # any later one ends at once too
    assert "event: events" not in rest and ended < 0.5
    assert again.status_code == 200 and "event: hello" in again.text


async def test_tail_stops_when_told(ui: Ui) -> None:
    stop = asyncio.Event()
    batches = tail(ui.log, "web", [0] * ui.log.partitions, stop, poll=30)
    assert (await anext(batches)).records == []
    waiting = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0.05)
    stop.set()
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(1):
            await waiting


async def test_tail_jumps_ahead_when_too_far_behind(ui: Ui) -> None:
    await ui.append(*(event(f"m{n}") for n in range(30)))  # one user: one partition
    batches = tail(ui.log, "web", [0] * ui.log.partitions, asyncio.Event(), max_behind=10)
    first = await anext(batches)
    await batches.aclose()
    assert first.skipped == 20
    assert [r.message_id for r in first.records] == [f"m{n}" for n in range(20, 30)]


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "",
        "1.2.3",
        "1.2.3.4.5",
        "9.0.0.0",
        "-1.0.0.0",
        "a.b.c.d",
        "1..0.0",
        "1" * 40,
        "0." * 5000,
    ],
)
def test_cursors_that_do_not_fit_the_log_are_ignored(sent: str | None) -> None:
    assert parse_cursor(sent, [5, 0, 0, 0]) is None


def test_a_fitting_cursor_is_read() -> None:
    assert parse_cursor("5.0.0.0", [5, 0, 0, 0]) == [5, 0, 0, 0]


def test_json_is_highlighted_after_escaping_everything() -> None:
    html = highlight_json({"a<b": "</pre><script>", "n": -1.5e3, "t": True, "z": None})
    assert '<span class="j-key">&#34;a&lt;b&#34;</span>' in html
    assert '<span class="j-string">&#34;&lt;/pre&gt;&lt;script&gt;&#34;</span>' in html
    assert '<span class="j-number">-1500.0</span>' in html
    assert '<span class="j-literal">true</span>' in html and "<script>" not in html


def test_rows_survive_odd_events() -> None:
    row = event_row("m1", b"not json <b>")
    assert (row.type, row.kind) == ("invalid", "invalid") and "&lt;b&gt;" in row.body
    odd = orjson.dumps({"type": "<x>", "event": "e" * 1000, "anonymousId": 7, "userId": ""})
    row = event_row("m2", odd)
    assert row.kind == "other" and len(row.name) == MAX_CELL
    assert (row.user, row.anonymous) == ("7", True)
    assert event_row("m3", b"[1, 2]").type == "invalid"


def test_entry_helper_keys_by_user() -> None:
    assert isinstance(event("m"), Entry) and event("m").key == "u1"
