"""Every route, the three ways to send a write key, and 401s."""

from __future__ import annotations

import httpx
import orjson
import pytest

from .conftest import OTHER_KEY, WRITE_KEY, MemoryLog, basic

SINGLE = {
    "identify": ("identify", "i"),
    "track": ("track", "t"),
    "page": ("page", "p"),
    "screen": ("screen", "s"),
    "group": ("group", "g"),
    "alias": ("alias", "a"),
}


def message_for(kind: str) -> dict[str, object]:
    extra = {"track": {"event": "Signed Up"}, "group": {"groupId": "g1"}}
    extra["alias"] = {"previousId": "anon-1"}
    return {"userId": "u1", "writeKey": WRITE_KEY, **extra.get(kind, {})}


@pytest.mark.parametrize("path", [p for pair in SINGLE.values() for p in pair])
async def test_single_paths_set_the_type(
    client: httpx.AsyncClient, log: MemoryLog, path: str
) -> None:
    kind = next(k for k, pair in SINGLE.items() if path in pair)
    body = {**message_for(kind), "type": "ignored"}
    response = await client.post(f"/v1/{path}", content=orjson.dumps(body))
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    [event] = log.events()
    assert event["type"] == kind
    assert log.records[0].source == "web" and log.records[0].key == "u1"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/import", "/v1/import/", "/v1/b"])
async def test_batch_paths(client: httpx.AsyncClient, log: MemoryLog, path: str) -> None:
    batch = [{**message_for("track"), "type": "track"}, {"type": "identify", "anonymousId": "a"}]
    response = await client.post(path, json={"batch": batch, "writeKey": WRITE_KEY})
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert [e["type"] for e in log.events()] == ["track", "identify"]
    assert [r.key for r in log.records] == ["u1", "a"]


async def test_metrics_beacon_is_ignored(client: httpx.AsyncClient, log: MemoryLog) -> None:
    response = await client.post("/v1/m", content=b"anything at all")
    assert response.status_code == 200
    assert log.appends == 0


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_unknown_methods_are_405(client: httpx.AsyncClient) -> None:
    assert (await client.put("/v1/track", content=b"{}")).status_code == 405
    assert (await client.get("/v1/batch")).status_code == 405
    assert (await client.delete("/health")).status_code == 405


@pytest.mark.parametrize("colon", [True, False])
async def test_basic_auth(client: httpx.AsyncClient, log: MemoryLog, colon: bool) -> None:
    body = {"userId": "u1", "event": "E"}
    response = await client.post("/v1/track", json=body, headers=basic(OTHER_KEY, colon))
    assert response.status_code == 200
    assert log.records[0].source == "server"


async def test_basic_auth_wins_over_body_key(client: httpx.AsyncClient, log: MemoryLog) -> None:
    body = {"userId": "u1", "event": "E", "writeKey": WRITE_KEY}
    await client.post("/v1/track", json=body, headers=basic(OTHER_KEY))
    assert log.records[0].source == "server"
    assert "writeKey" not in log.events()[0]


async def test_bearer_with_body_write_key(client: httpx.AsyncClient, log: MemoryLog) -> None:
    body = {"batch": [{"type": "track", "userId": "u", "event": "E"}], "writeKey": OTHER_KEY}
    headers = {"Authorization": "Bearer some-oauth-token"}
    response = await client.post("/v1/batch", json=body, headers=headers)
    assert response.status_code == 200
    assert log.records[0].source == "server"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"userId": "u", "event": "E"}),
        ({}, {"userId": "u", "event": "E", "writeKey": "nope"}),
        (basic("nope"), {"userId": "u", "event": "E"}),
        ({"Authorization": "Basic !!!not-base64"}, {"userId": "u", "event": "E"}),
        ({"Authorization": "Bearer token"}, {"userId": "u", "event": "E"}),
    ],
)
async def test_unauthorized(
    client: httpx.AsyncClient, log: MemoryLog, headers: dict[str, str], body: dict[str, str]
) -> None:
    response = await client.post("/v1/track", json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["code"] == "unauthorized"
    assert log.appends == 0


async def test_batch_without_key_is_401(client: httpx.AsyncClient, log: MemoryLog) -> None:
    batch = [{"type": "track", "userId": "u", "event": "E", "writeKey": WRITE_KEY}]
    response = await client.post("/v1/batch", json={"batch": batch})
    assert response.status_code == 401
    assert log.appends == 0


async def test_text_plain_content_type_is_parsed(client: httpx.AsyncClient, log: MemoryLog) -> None:
    body = orjson.dumps({"anonymousId": "a1", "writeKey": WRITE_KEY, "properties": {"x": 1}})
    response = await client.post(
        "/v1/p", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert response.status_code == 200
    assert log.events()[0]["properties"] == {"x": 1}


async def test_invalid_single_message_names_the_problem(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    response = await client.post("/v1/track", json={"event": "E", "writeKey": WRITE_KEY})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "code": "no_user_anon_id",
        "message": "userId or anonymousId is required",
    }
    assert log.appends == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"userId": {"id": 1}, "event": "E"}, "invalid_field"),
        ({"userId": "u", "event": "E", "properties": [1, 2]}, "invalid_field"),
        ({"userId": "u", "event": 12}, "invalid_field"),
        ({"userId": "u"}, "no_event_name"),
    ],
)
async def test_wrong_types_on_single_calls(
    client: httpx.AsyncClient, log: MemoryLog, body: dict[str, object], code: str
) -> None:
    response = await client.post("/v1/track", json=body, headers=basic(WRITE_KEY))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert log.records == []


async def test_extra_routes_are_served_without_tracking_cors(log: MemoryLog) -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from eventyard.ingest.app import create_app

    from .conftest import make_config

    async def admin(request: Request) -> PlainTextResponse:
        return PlainTextResponse("admin")

    app = create_app(make_config(), log, [Route("/admin", admin)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/admin", headers={"Origin": "https://x.example"})
    assert response.text == "admin"
    assert "access-control-allow-origin" not in response.headers
