"""Pixel API, analytics.js settings, CORS."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import orjson
import pytest

from eventyard.control.config import Config
from eventyard.ingest.app import create_app
from eventyard.ingest.pixel import TRANSPARENT_GIF

from .conftest import WRITE_KEY, MemoryLog, make_config

# "?" and "~" in the values make standard and URL-safe base64 differ.
MESSAGE = {
    "writeKey": WRITE_KEY,
    "userId": "u1",
    "event": "Opened ??~~",
    "properties": {"k": ">>?"},
}


def encoded(alphabet: str, padding: bool) -> str:
    raw = orjson.dumps(MESSAGE)
    text = (base64.urlsafe_b64encode if alphabet == "url" else base64.b64encode)(raw).decode()
    return text if padding else text.rstrip("=")


@pytest.mark.parametrize("alphabet", ["std", "url"])
@pytest.mark.parametrize("padding", [True, False])
async def test_pixel_base64(
    client: httpx.AsyncClient, log: MemoryLog, alphabet: str, padding: bool
) -> None:
    data = encoded(alphabet, padding)
    assert ("+" in data or "/" in data) if alphabet == "std" else ("-" in data or "_" in data)
    response = await client.get(f"/v1/pixel/track?data={quote(data)}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content == TRANSPARENT_GIF
    [event] = log.events()
    assert event["type"] == "track" and event["event"] == "Opened ??~~"
    assert event["properties"] == {"k": ">>?"}


async def test_pixel_unescaped_plus_in_query(client: httpx.AsyncClient, log: MemoryLog) -> None:
    data = encoded("std", False)
    assert "+" in data
    await client.get(f"/v1/pixel/track?data={data}")
    assert log.events()[0]["event"] == "Opened ??~~"


async def test_pixel_flat_query(client: httpx.AsyncClient, log: MemoryLog) -> None:
    params = {
        "writeKey": WRITE_KEY,
        "userId": "u1",
        "event": "Email Opened",
        "properties.subject": "Hello",
        "context.campaign.name": "spring",
    }
    response = await client.get("/v1/pixel/track", params=params)
    assert response.content == TRANSPARENT_GIF
    [event] = log.events()
    assert event["properties"] == {"subject": "Hello"}
    assert event["context"]["campaign"] == {"name": "spring"}


@pytest.mark.parametrize(
    "query",
    [
        "data=%%%garbage%%%",
        "data=" + base64.b64encode(b"[1,2]").decode(),
        "data=" + base64.b64encode(b'{"userId": "u1"}').decode(),  # no write key
        "data=" + base64.b64encode(orjson.dumps({"writeKey": WRITE_KEY})).decode(),
        "writeKey=" + WRITE_KEY + "&userId=u&event.x=1&event=2",
        "",
    ],
)
async def test_pixel_garbage_still_answers_a_gif(
    client: httpx.AsyncClient, log: MemoryLog, query: str
) -> None:
    response = await client.get(f"/v1/pixel/track?{query}")
    assert response.status_code == 200
    assert response.content == TRANSPARENT_GIF
    assert log.records == []


async def test_pixel_overloaded_or_failing_log_still_gif(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    log.fail = True
    response = await client.get(f"/v1/pixel/page?data={encoded('url', False)}")
    assert response.content == TRANSPARENT_GIF
    log.fail, log.backlog = False, 10**9
    response = await client.get(f"/v1/pixel/page?data={encoded('url', False)}")
    assert response.content == TRANSPARENT_GIF
    assert log.records == []


async def test_settings(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/projects/{WRITE_KEY}/settings")
    assert response.status_code == 200
    assert response.json() == {
        "integrations": {
            "Segment.io": {
                "apiKey": WRITE_KEY,
                "apiHost": "collector.test/v1",
                "protocol": "http",
            }
        },
        "plan": {},
        "metrics": {"sampleRate": 0},
        "remotePlugins": [],
    }
    assert (await client.get("/v1/projects/unknown/settings")).status_code == 404


async def test_settings_protocol_behind_trusted_proxy() -> None:
    config = make_config(trusted_proxies=["10.0.0.0/8"])
    transport = httpx.ASGITransport(app=create_app(config, MemoryLog()), client=("10.0.0.5", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8088") as client:
        response = await client.get(
            f"/v1/projects/{WRITE_KEY}/settings",
            headers={"Host": "cdp.example.com", "X-Forwarded-Proto": "https"},
        )
    segment = response.json()["integrations"]["Segment.io"]
    assert segment["apiHost"] == "cdp.example.com/v1"
    assert segment["protocol"] == "https"


async def test_settings_name_the_public_url_whatever_the_host_header() -> None:
    config = make_config(public_url="https://cdp.example.com")
    transport = httpx.ASGITransport(app=create_app(config, MemoryLog()), client=("10.0.0.5", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8088") as client:
        for host in ("evil.example", 'evil.test/"><script>'):
            response = await client.get(
                f"/v1/projects/{WRITE_KEY}/settings", headers={"Host": host}
            )
            segment = response.json()["integrations"]["Segment.io"]
            assert segment["apiHost"] == "cdp.example.com/v1"
            assert segment["protocol"] == "https"


@pytest.mark.parametrize("host", ['evil.test/"><script>', "a b", "x.test/path", ""])
async def test_settings_refuse_a_host_header_that_is_not_host_and_port(
    client: httpx.AsyncClient, host: str
) -> None:
    """apiHost is built from Host: anything but `host[:port]` would let a request steer
    analytics.js (or inject into the served script) elsewhere."""
    response = await client.get(f"/v1/projects/{WRITE_KEY}/settings", headers={"Host": host})
    assert response.status_code == 400
    assert "Host header" in response.json()["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/t",
        "/v1/batch",
        "/v1/import/",
        "/v1/pixel/track",
        "/health",
        "/v1/m",
        f"/v1/projects/{WRITE_KEY}/settings",
    ],
)
async def test_preflight(client: httpx.AsyncClient, path: str) -> None:
    headers = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-retry-count",
    }
    response = await client.options(path, headers=headers)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("content-type", "authorization", "x-retry-count", "content-encoding"):
        assert header in allowed
    assert int(response.headers["access-control-max-age"]) > 0


async def test_cors_headers_on_responses(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://shop.example"}
    response = await client.post("/v1/t", content=b"{", headers=origin)
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert "Retry-After" in response.headers["access-control-expose-headers"]
    response = await client.get(f"/v1/projects/{WRITE_KEY}/settings", headers=origin)
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    response = await client.get("/health")
    assert "access-control-allow-origin" not in response.headers


async def cors_client(config: Config, path: str, origin: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(config, MemoryLog()))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.options(path, headers={"Origin": origin})


async def test_cors_origin_list() -> None:
    config = make_config(cors_origins=["https://allowed.example"])
    ok = await cors_client(config, "/v1/t", "https://allowed.example")
    assert ok.headers["access-control-allow-origin"] == "https://allowed.example"
    denied = await cors_client(config, "/v1/t", "https://evil.example")
    assert "access-control-allow-origin" not in denied.headers
