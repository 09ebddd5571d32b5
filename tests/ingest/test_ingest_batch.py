"""Bad messages inside a batch, enrichment over HTTP, overload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from eventyard.control.config import Config
from eventyard.ingest.app import create_app

from .conftest import WRITE_KEY, MemoryLog, basic, make_config

AUTH = basic(WRITE_KEY)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_bad_messages_are_rejected_one_by_one(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    batch = [
        {"type": "track", "userId": "u1", "event": "Good"},
        {"type": "track", "event": "No Id"},
        {"type": "track", "userId": "u2"},
        "not an object",
        {"type": "identify", "userId": {"nested": True}},
        {"type": "page", "anonymousId": "a1"},
        {"type": "track", "userId": "u3", "event": "Deep", "properties": {"v": [[[1]]] * 1}},
    ]
    nested: object = 1
    for _ in range(300):
        nested = [nested]
    batch.append(
        {"type": "track", "userId": "u4", "event": "Too Deep", "properties": {"n": nested}}
    )
    response = await client.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (1, "no_user_anon_id"),
        (2, "no_event_name"),
        (3, "invalid_message"),
        (4, "invalid_field"),
        (7, "invalid_request"),
    ]
    assert all(r["message"] for r in body["rejected"])
    assert [e.get("event", e["type"]) for e in log.events()] == ["Good", "page", "Deep"]
    assert log.appends == 1  # good events and rejections in one durable append
    assert [r.code for r in log.rejected] == [r["code"] for r in body["rejected"]]
    assert log.rejected[0].source == "web"
    assert orjson.loads(log.rejected[0].payload)["event"] == "No Id"


async def test_all_rejected_is_still_recorded(client: httpx.AsyncClient, log: MemoryLog) -> None:
    response = await client.post("/v1/batch", json={"batch": [{"type": "x"}]}, headers=AUTH)
    assert response.json()["rejected"][0]["code"] == "invalid_type"
    assert log.records == [] and len(log.rejected) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"batch": {"type": "track"}},
        {"batch": [], "context": []},
        {"batch": [], "integrations": 1},
    ],
)
async def test_malformed_batch_envelope(
    client: httpx.AsyncClient, log: MemoryLog, body: dict[str, object]
) -> None:
    response = await client.post("/v1/batch", json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert log.appends == 0


async def test_empty_batch_succeeds_without_append(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    response = await client.post("/v1/batch", json={"batch": []}, headers=AUTH)
    assert response.json() == {"success": True}
    assert log.appends == 0


async def test_enrichment(client: httpx.AsyncClient, log: MemoryLog) -> None:
    sent = datetime.now(UTC) + timedelta(hours=1)  # client clock one hour fast
    original = sent - timedelta(seconds=10)
    body = {
        "writeKey": WRITE_KEY,
        "sentAt": iso(sent),
        "context": {
            "library": {"name": "analytics-python"},
            "locale": "en",
            "device": {"type": "ios", "model": "iPhone7,2"},
        },
        "integrations": {"All": True, "Amplitude": {"session_id": 1}},
        "batch": [
            {
                "type": "track",
                "userId": 7,
                "event": "E",
                "timestamp": iso(original),
                "context": {"locale": "fr", "device": {"name": "Ada's phone", "model": "X"}},
                "integrations": {"Amplitude": {"user_agent": "ua"}, "Mixpanel": False},
                "_metadata": {"bundled": []},
                "writeKey": WRITE_KEY,
            },
            {"type": "identify", "userId": "u", "messageId": "keep-me"},
        ],
    }
    response = await client.post("/v1/batch", json=body)
    assert response.status_code == 200
    first, second = log.events()
    received = datetime.fromisoformat(first["receivedAt"])
    assert first["receivedAt"] == second["receivedAt"]
    assert first["receivedAt"].endswith("Z") and len(first["receivedAt"]) == 24
    assert first["originalTimestamp"] == iso(original)
    assert datetime.fromisoformat(first["timestamp"]) == received - (sent - original)
    assert second["timestamp"] == second["originalTimestamp"] == second["receivedAt"]
    # merged deeply, the message's keys win; a server library's events get no IP
    assert first["context"] == {
        "library": {"name": "analytics-python"},
        "locale": "fr",
        "device": {"type": "ios", "model": "X", "name": "Ada's phone"},
    }
    assert first["integrations"] == {
        "All": True,
        "Amplitude": {"session_id": 1, "user_agent": "ua"},
        "Mixpanel": False,
    }
    assert second["integrations"] == {"All": True, "Amplitude": {"session_id": 1}}
    assert second["context"]["device"] == {"type": "ios", "model": "iPhone7,2"}
    assert "_metadata" not in first and "writeKey" not in first
    assert first["userId"] == "7"
    assert len(first["messageId"]) == 36 and log.records[0].message_id == first["messageId"]
    assert second["messageId"] == "keep-me"


async def request_ip(config: Config, peer: str, forwarded: str | None) -> str:
    log = MemoryLog()
    transport = httpx.ASGITransport(app=create_app(config, log), client=(peer, 1))
    headers = {**AUTH, **({"X-Forwarded-For": forwarded} if forwarded else {})}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.post("/v1/p", json={"anonymousId": "a"}, headers=headers)
    ip: str = log.events()[0]["context"]["ip"]
    return ip


async def test_context_ip_and_trusted_proxies() -> None:
    untrusted = make_config()
    assert await request_ip(untrusted, "10.0.0.2", "1.1.1.1") == "10.0.0.2"
    trusted = make_config(trusted_proxies=["10.0.0.0/8"])
    assert await request_ip(trusted, "10.0.0.2", "1.1.1.1") == "1.1.1.1"
    # The left-most entry is forgeable: take the right-most untrusted one.
    assert await request_ip(trusted, "10.0.0.2", "6.6.6.6, 2.2.2.2, 10.0.0.9") == "2.2.2.2"
    assert await request_ip(trusted, "10.0.0.2", "10.1.1.1, 10.0.0.9") == "10.1.1.1"
    assert await request_ip(trusted, "10.0.0.2", "garbage") == "10.0.0.2"
    assert await request_ip(trusted, "192.0.2.1", "1.1.1.1") == "192.0.2.1"


async def test_client_supplied_ip_is_kept(client: httpx.AsyncClient, log: MemoryLog) -> None:
    body = {"anonymousId": "a", "context": {"ip": "0.0.0.0"}}
    await client.post("/v1/page", json=body, headers=AUTH)
    assert log.events()[0]["context"]["ip"] == "0.0.0.0"


@pytest.mark.parametrize("path", ["/v1/track", "/v1/batch"])
async def test_overload_answers_503_without_storing(
    client: httpx.AsyncClient, log: MemoryLog, config: Config, path: str
) -> None:
    log.backlog = config.server.max_pending_events + 1
    body = {"userId": "u", "event": "E", "batch": [{"type": "track", "userId": "u", "event": "E"}]}
    response = await client.post(path, json=body, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "overloaded"
    assert log.appends == 0 and log.records == []


@pytest.mark.parametrize("path", ["/v1/track", "/v1/batch"])
async def test_log_error_answers_503(client: httpx.AsyncClient, log: MemoryLog, path: str) -> None:
    log.fail = True
    body = {"userId": "u", "event": "E", "batch": [{"type": "track", "userId": "u", "event": "E"}]}
    response = await client.post(path, json=body, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["success"] is False
    assert log.records == []
