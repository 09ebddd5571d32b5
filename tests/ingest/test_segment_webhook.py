"""`POST /v1/segment-webhook/{source}`: Segment's signed webhook requests into the log."""

from __future__ import annotations

import gzip
import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest

from eventyard.control.config import Config, SourceConfig
from eventyard.control.live import LiveConfig
from eventyard.ingest.app import create_app
from eventyard.spec.limits import MAX_BATCH_EVENTS, MAX_BATCH_REQUEST_BYTES
from ingest.conftest import MemoryLog

SECRET = "segment-shared-secret"
URL = "/v1/segment-webhook/segment"


@pytest.fixture
def config() -> Config:
    return Config(
        sources=[
            SourceConfig(name="segment", write_key="wk_segment", webhook_secret=SECRET),
            SourceConfig(name="web", write_key="wk_web"),
        ],
        warehouses=[],
    )


def segment_event(n: int = 1, **extra: Any) -> dict[str, Any]:
    """An event as Segment's Webhooks destination forwards it."""
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": f"ajs-next-{n}",
        "userId": "u1",
        "anonymousId": "a1",
        "properties": {"order_id": f"o{n}", "revenue": 10},
        "traits": {"email": "jane@example.com"},
        "context": {
            "ip": "198.51.100.4",
            "consent": {"categoryPreferences": {"Advertising": False}},
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
        },
        "originalTimestamp": "2026-11-22T10:00:00.000Z",
        "sentAt": "2026-11-22T10:00:05.000Z",
        "timestamp": "2026-11-22T10:00:02.000Z",
        "receivedAt": "2026-11-22T10:00:03.000Z",
        "writeKey": "segments-own-key",
        "projectId": "proj1",
        **extra,
    }


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Signature": digest, "Content-Type": "application/json"}


async def post(client: httpx.AsyncClient, data: Any, url: str = URL) -> httpx.Response:
    body = orjson.dumps(data)
    return await client.post(url, content=body, headers=signed(body))


async def test_an_event_is_kept_as_segment_sent_it(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    response = await post(client, segment_event())
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    (stored,) = log.events()
    assert log.records[0].source == "segment"
    assert stored["messageId"] == "ajs-next-1"
    assert stored["timestamp"] == "2026-11-22T10:00:02.000Z"
    assert stored["originalTimestamp"] == "2026-11-22T10:00:00.000Z"
    assert stored["sentAt"] == "2026-11-22T10:00:05.000Z"
    assert stored["receivedAt"] != "2026-11-22T10:00:03.000Z"  # ours
    assert stored["context"]["segment"] == {"receivedAt": "2026-11-22T10:00:03.000Z"}
    assert stored["context"]["ip"] == "198.51.100.4"  # the user's, not Segment's servers'
    assert stored["context"]["consent"] == {"categoryPreferences": {"Advertising": False}}
    assert (stored["userId"], stored["anonymousId"]) == ("u1", "a1")
    assert stored["traits"] == {"email": "jane@example.com"}
    assert stored["projectId"] == "proj1" and "writeKey" not in stored


async def test_without_an_ip_none_is_added_and_missing_times_are_ours(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    event = {"type": "identify", "userId": "u2", "messageId": "m2"}
    assert (await post(client, event)).status_code == 200
    (stored,) = log.events()
    assert "ip" not in stored.get("context", {})
    assert stored["timestamp"] == stored["receivedAt"] == stored["originalTimestamp"]


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"batch": items}])
async def test_batches_are_accepted_and_bad_events_rejected_one_by_one(
    client: httpx.AsyncClient, log: MemoryLog, wrap: Any
) -> None:
    items = [segment_event(1), {"type": "track", "userId": "u"}, "nope", segment_event(2)]
    response = await post(client, wrap(items))
    assert response.status_code == 200
    rejected = response.json()["rejected"]
    assert [(r["index"], r["code"]) for r in rejected] == [
        (1, "no_event_name"),
        (2, "invalid_message"),
    ]
    assert [e["messageId"] for e in log.events()] == ["ajs-next-1", "ajs-next-2"]
    assert len(log.rejected) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature": ""},
        {"X-Signature": "0" * 40},
        {"X-Signature": "z" * 10_000},
        {"X-Signature": "sha1=" + "0" * 40},
    ],
)
async def test_a_missing_or_wrong_signature_is_401(
    client: httpx.AsyncClient, log: MemoryLog, headers: dict[str, str]
) -> None:
    response = await client.post(URL, content=orjson.dumps(segment_event()), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert log.appends == 0


async def test_another_secret_or_a_changed_body_is_401(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    body = orjson.dumps(segment_event())
    wrong = await client.post(URL, content=body, headers=signed(body, "other"))
    tampered = await client.post(URL, content=body + b" ", headers=signed(body))
    assert (wrong.status_code, tampered.status_code) == (401, 401)
    upper = signed(body)["X-Signature"].upper()
    assert (await client.post(URL, content=body, headers={"X-Signature": upper})).status_code == 200


async def test_unknown_sources_and_sources_without_a_secret_are_refused(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    unknown = await post(client, segment_event(), "/v1/segment-webhook/nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_source")
    closed = await post(client, segment_event(), "/v1/segment-webhook/web")
    assert (closed.status_code, closed.json()["code"]) == (403, "webhook_disabled")
    assert "webhook_secret" in closed.json()["message"]
    long = await post(client, segment_event(), "/v1/segment-webhook/" + "x" * 5000)
    assert long.status_code == 404 and len(long.json()["message"]) < 200
    assert log.appends == 0


async def test_oversized_bodies_are_413_whether_announced_or_not(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    body = orjson.dumps(segment_event(properties={"pad": "x" * MAX_BATCH_REQUEST_BYTES}))
    response = await client.post(URL, content=body, headers=signed(body))
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")

    async def stream() -> Any:
        for _ in range(20):
            yield b" " * 65536

    streamed = await client.post(URL, content=stream(), headers={"X-Signature": "0" * 40})
    assert streamed.status_code == 413
    assert log.appends == 0


async def test_a_gzip_bomb_is_413_when_signed_and_401_unsigned(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    bomb = gzip.compress(b"[" + b" " * (50 * MAX_BATCH_REQUEST_BYTES) + b"]")
    assert len(bomb) < MAX_BATCH_REQUEST_BYTES
    headers = {**signed(bomb), "Content-Encoding": "gzip"}
    response = await client.post(URL, content=bomb, headers=headers)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
    unsigned = await client.post(URL, content=bomb, headers={"Content-Encoding": "gzip"})
    assert unsigned.status_code == 401
    small = gzip.compress(orjson.dumps(segment_event()))
    ok = await client.post(
        URL, content=small, headers={**signed(small), "Content-Encoding": "gzip"}
    )
    assert ok.status_code == 200 and len(log.records) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_request"),
        (b"\xff\xfe", "invalid_request"),
        (b"42", "invalid_request"),
        (b'"event"', "invalid_request"),
        (b"[" * 5000 + b"]" * 5000, "invalid_request"),
        (orjson.dumps([{}] * (MAX_BATCH_EVENTS + 1)), "too_many_events"),
    ],
)
async def test_bodies_that_are_no_events_are_400(
    client: httpx.AsyncClient, log: MemoryLog, body: bytes, code: str
) -> None:
    response = await client.post(URL, content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert log.appends == 0


async def test_a_full_log_answers_503(client: httpx.AsyncClient, log: MemoryLog) -> None:
    log.backlog = 10**9
    response = await post(client, segment_event())
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    log.backlog, log.fail = 0, True
    assert (await post(client, segment_event())).status_code == 503


async def test_a_secret_set_later_applies_without_a_restart(config: Config, log: MemoryLog) -> None:
    live = LiveConfig(config)
    app = create_app(config, log, live=live)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collector.test") as http:
        url = "/v1/segment-webhook/web"
        assert (await post(http, segment_event(), url)).status_code == 403
        web = SourceConfig(name="web", write_key="wk_web", webhook_secret=SECRET)
        live.publish(Config(sources=[web], warehouses=[]))
        assert (await post(http, segment_event(), url)).status_code == 200
        assert (await post(http, segment_event())).status_code == 404
