"""Conversions through a real `eventyard serve` to a local Meta Conversions API: one order
from a browser route and a server route arrives once, a landing page's click ID reaches a
later server-side purchase, and consent suppresses (the trace says why) or sends in Limited
Data Use mode where the destination says so."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, wait_until
from e2e.conversions_case import trace_of
from e2e.server_process import ServerProcess
from fakes.meta_conversions_api import MetaFake

SERVER_KEY = "wk_backend"
BROWSER = {
    "page": {"url": "https://shop.example/checkout/thanks", "referrer": ""},
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    "library": {"name": "analytics.js", "version": "next-1.70.0"},
}
DENIED = {"consent": {"categoryPreferences": {"Advertising": False}}}


def _config(fake: MetaFake) -> str:
    settings = orjson.dumps(
        {"pixel_id": fake.pixel_id, "access_token": fake.token, "api_base_url": fake.url,
         "batch_wait_ms": 0}
    ).decode()  # fmt: skip
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
  - name: server
    write_key: {SERVER_KEY}
destinations:
  - name: meta
    type: meta-conversions-api
    sources: [web, server]
    consent_categories: [Advertising]
    settings: {settings}
  - name: meta-ldu
    type: meta-conversions-api
    sources: [web]
    consent_categories: [Advertising]
    consent_fallback: limited
    conversion_events: [lead]
    settings: {settings}
"""


def _call(key: str, url: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    client = Client(key, host=url, sync_mode=True, max_retries=1)
    ok, message = getattr(client, method)(*args, **kwargs)
    assert ok
    return dict(message)


def _received(fake: MetaFake, event_id: str) -> list[dict[str, Any]]:
    return [event for event in fake.received if event.get("event_id") == event_id]


async def test_dedup_click_ids_consent_and_ldu(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with MetaFake() as fake:
        server = await asyncio.to_thread(start_server, _config(fake))
        url = server.url

        # one order, from the browser (analytics.js-like) and from the backend
        order = {"order_id": "o-1", "revenue": 129.9, "currency": "USD"}
        await asyncio.to_thread(
            _call, WRITE_KEY, url, "track", "u1", "Order Completed", order, BROWSER
        )
        backend = await asyncio.to_thread(
            _call, SERVER_KEY, url, "track", "u1", "Order Completed", order
        )
        await wait_until(lambda: len(_received(fake, "purchase:o-1")) == 1, 15, "the order")

        # a landing page with an fbclid, a login, then a purchase from the backend
        landing = {**BROWSER, "page": {"url": "https://shop.example/?fbclid=IwAR-landing"}}
        await asyncio.to_thread(
            _call, WRITE_KEY, url, "page", None, None, "Home", None, landing, anonymous_id="a-2"
        )
        await asyncio.to_thread(
            _call, WRITE_KEY, url, "identify", "u2", {"email": "bo@example.com"},
            anonymous_id="a-2",
        )  # fmt: skip
        second = {"order_id": "o-2", "revenue": 5}
        await asyncio.to_thread(_call, SERVER_KEY, url, "track", "u2", "Order Completed", second)
        await wait_until(lambda: len(_received(fake, "purchase:o-2")) == 1, 15, "the purchase")
        (purchase,) = _received(fake, "purchase:o-2")
        fbc = purchase["user_data"]["fbc"]
        assert fbc.startswith("fb.1.") and fbc.endswith(".IwAR-landing")

        # a lead without advertising consent: suppressed by meta, LDU for meta-ldu
        lead = await asyncio.to_thread(
            _call, WRITE_KEY, url, "track", "u3", "Lead Generated", {}, {**BROWSER, **DENIED}
        )
        await wait_until(lambda: len(_received(fake, lead["messageId"])) == 1, 15, "the lead")
        (limited,) = _received(fake, lead["messageId"])
        assert limited["data_processing_options"] == ["LDU"]

        steps = await asyncio.to_thread(trace_of, server, lead["messageId"])
        meta_steps = [(s["step"], s["detail"]) for s in steps if s["destination"] == "meta"]
        assert meta_steps[0][0] == "consent"
        assert meta_steps[0][1].startswith("consent denied for Advertising")
        steps = await asyncio.to_thread(trace_of, server, backend["messageId"])
        meta_steps = [(s["step"], s["detail"]) for s in steps if s["destination"] == "meta"]
        assert meta_steps[0][0] == "duplicate"
        assert "'purchase:o-1' was sent to meta" in meta_steps[0][1]

        await asyncio.sleep(0.3)  # nothing else arrives: one order is one conversion
        assert len(_received(fake, "purchase:o-1")) == 1
        assert server.stop() == 0
