"""Delivery detail you can act on: dead letters searched and paged, over letters made by the
real workers against a webhook receiver."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from starlette.applications import Starlette

from delivery.conftest import eventually
from eventyard.control import store
from eventyard.delivery import exchanges, jobs
from eventyard.ui.live import live_routes
from eventyard.ui.pages_requests import request_routes
from fakes.webhook_receiver import Answer, Received
from ui.live_setup import FAST, Ui, event, ui

__all__ = ["ui"]


def refuse(request: Received) -> Answer:
    """Every request fails for good; the error names the event kind."""
    body = b"quota exceeded" if b'"Refunded"' in request.body else b"Invalid API key"
    return Answer(400, body=body)


async def make_letters(ui: Ui, paid: int, refunded: int) -> None:
    ui.receiver.on_request = refuse
    entries = [event(f"m-paid-{n}") for n in range(paid)]
    entries += [event(f"m-refund-{n}", event="Refunded") for n in range(refunded)]
    await ui.append(*entries)
    await ui.route_and_deliver()


def message_ids(page: str) -> list[str]:
    return re.findall(r'<code class="message-id" title="messageId">([^<]+)</code>', page)


async def test_dead_letters_are_searched_by_event_error_and_time(ui: Ui) -> None:
    await make_letters(ui, paid=3, refunded=2)
    async with ui.client("viewer") as client:
        by_event = await client.get("/deadletters", params={"event": "refunded"})
        by_id = await client.get("/deadletters", params={"event": "m-paid-1"})
        by_error = await client.get("/deadletters", params={"error": "API KEY"})
        later = await client.get("/deadletters", params={"since": "2999-01-01T00:00"})
        earlier = await client.get("/deadletters", params={"until": "2999-01-01T00:00"})
        wrong = await client.get("/deadletters", params={"since": "yesterday"})
    assert sorted(message_ids(by_event.text)) == ["m-refund-0", "m-refund-1"]
    assert message_ids(by_id.text) == ["m-paid-1"]
    assert sorted(message_ids(by_error.text)) == ["m-paid-0", "m-paid-1", "m-paid-2"]
    assert message_ids(later.text) == [] and "No dead letters match" in later.text
    assert len(message_ids(earlier.text)) == 5
    assert wrong.status_code == 200 and len(message_ids(wrong.text)) == 5
    assert "since must be a time like" in html.unescape(wrong.text)
    assert 'value="refunded"' in by_event.text  # the search stays in its box


async def test_dead_letters_are_paged_newest_first(ui: Ui) -> None:
    await make_letters(ui, paid=30, refunded=0)
    async with ui.client("viewer") as client:
        first = await client.get("/deadletters", params={"error": "invalid"})
        older = re.search(r'href="(/deadletters\?[^"]*before=[0-9]+)"', first.text)
        assert older is not None
        second = await client.get(html.unescape(older.group(1)))
        grouped = await client.get("/deadletters")
        link = re.search(r'href="(/deadletters\?destination=hook&amp;before=[0-9]+)"', grouped.text)
        assert link is not None
        rest = await client.get(html.unescape(link.group(1)))
    page_one, page_two = message_ids(first.text), message_ids(second.text)
    assert len(page_one) == 25 and len(page_two) == 5
    assert set(page_one) | set(page_two) == {f"m-paid-{n}" for n in range(30)}
    assert "error=invalid" in older.group(1) and "Older letters" not in second.text
    assert len(message_ids(grouped.text)) == 25 and message_ids(rest.text) == page_two


SECRET = "sk_live_4f8a2b9c7d1e"


async def with_secret_header(ui: Ui) -> None:
    """The hook destination sends SECRET in a header, as an API key would be."""
    doc = {
        "name": "hook",
        "type": "webhook",
        "sources": ["web"],
        "settings": {"url": ui.receiver.url, "headers": {"X-Api-Key": SECRET}},
        "delivery": FAST,
    }
    box = ui.ctx.plane.box
    await ui.ctx.plane.change(
        lambda conn: store.put_object(conn, box, "destination", "default", doc, "test")
    )
    ui.delivery.reconfigure(ui.ctx.config)

    async def swapped() -> bool:
        worker = ui.delivery.workers.get("hook")
        return worker is not None and bool(worker.settings.headers)

    await eventually(swapped)


def pages(ui: Ui) -> Starlette:
    return Starlette(routes=[*request_routes(ui.ctx), *live_routes(ui.ctx)])


async def test_the_last_attempts_show_request_and_response_masked_and_cut(ui: Ui) -> None:
    await with_secret_header(ui)
    answers = iter([Answer(500, body=b"echo " + SECRET.encode() + b"x" * 10_000)])
    ui.receiver.on_request = lambda request: next(answers, None)
    await ui.append(event("m-1", properties={"note": SECRET}))
    await ui.route_and_deliver()
    transport = httpx.ASGITransport(app=pages(ui))
    cookies = {"eventyard_session": ui.sessions["viewer"]}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ui", cookies=cookies
    ) as client:
        tab = await client.get("/destinations/hook/requests")
        trace = await client.get("/debugger/web/trace/m-1")
    text = html.unescape(tab.text)
    assert tab.status_code == 200 and "HTTP 500" in text and "HTTP 200" in text
    assert "x-api-key: ********" in text.lower()
    assert SECRET not in text and "echo ********" in text
    assert re.search(r"x{4000,}\n… cut: 10,0[0-9]{2} bytes in all", text)
    kept = html.unescape(trace.text.split("Requests and responses", 1)[1])
    assert "HTTP 500" in kept and "echo ********" in kept and SECRET not in kept


async def test_only_the_last_attempts_are_kept(ui: Ui, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchanges, "KEEP", 3)
    await ui.append(*(event(f"m-{n}") for n in range(6)))
    await ui.route_and_deliver()
    kept = await ui.state.run(lambda conn: exchanges.recent(conn, ["hook"]))
    assert len(kept) == 3
    assert [a.message_ids for a in kept] == [[f"m-{n}"] for n in (5, 4, 3)]


async def test_a_test_event_goes_through_the_real_mapping_and_leaves_no_state(ui: Ui) -> None:
    await with_secret_header(ui)
    typed = '{"type": "track", "event": "Checkout Started", "userId": "u-test"}'
    transport = httpx.ASGITransport(app=pages(ui))
    sessions = ui.sessions
    async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
        client.cookies.set("eventyard_session", sessions["viewer"])
        shown = await client.get("/destinations/hook/requests")
        refused = await client.post(
            "/destinations/hook/requests/test", data={"event": typed, "csrf_token": "x"}
        )
        client.cookies.set("eventyard_session", sessions["editor"])
        page = await client.get("/destinations/hook/requests")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        sent = await client.post(
            "/destinations/hook/requests/test", data={"event": typed, "csrf_token": token[1]}
        )
        broken = await client.post(
            "/destinations/hook/requests/test", data={"event": "{", "csrf_token": token[1]}
        )
    assert "Sending a test event needs the editor role" in shown.text
    assert refused.status_code == 403
    [received] = ui.receiver.requests
    assert b'"Checkout Started"' in received.body and received.headers["x-api-key"] == SECRET
    text = html.unescape(sent.text)
    assert sent.status_code == 200 and "delivered" in text and "HTTP 200" in text
    assert '"Checkout Started"' in text and SECRET not in text
    assert broken.status_code == 400 and "not valid JSON" in html.unescape(broken.text)
    status = await ui.state.run(lambda conn: jobs.status(conn, "hook", 0))
    assert status.pending == 0 and status.delivered == 0
    assert await ui.state.run(lambda conn: exchanges.recent(conn, ["hook"])) == []
