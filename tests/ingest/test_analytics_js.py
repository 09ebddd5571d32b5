"""analytics.js and its chunks at Segment's CDN paths, from the installed npm package."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from eventyard.control.config import Config, SourceConfig
from eventyard.ingest.analytics_js import analytics_js_routes
from eventyard.ingest.origin import ForwardedProto
from eventyard.ui.vendor import vendor_dir

from .conftest import WRITE_KEY, make_config

UMD = "@segment/analytics-next/dist/umd"
LIBRARY_URL = f"/analytics.js/v1/{WRITE_KEY}/analytics.min.js"


@dataclass
class Context:
    """What the routes read: the configuration as it is now (it changes while running)."""

    config: Config


def installed(relative: str) -> bytes:
    return (vendor_dir() / UMD / relative).read_bytes()


def chunk_files() -> list[str]:
    """Every chunk file name the standalone build can request, read from its webpack chunk
    map (`a.u=function(t){return({id:"name"...}[t]||t)+".bundle."+{id:"hash"...}[t]+".js"}`)."""
    source = installed("standalone.js").decode()
    found = re.search(r'return\(\{([^}]*)\}\[\w\]\|\|\w\)\+"\.bundle\."\+\{([^}]*)\}', source)
    assert found, "the chunk map of analytics-next's standalone build changed shape"
    names = dict(re.findall(r'(\d+):"([^"]+)"', found[1]))
    hashes = dict(re.findall(r'(\d+):"([0-9a-f]+)"', found[2]))
    return [f"{names.get(chunk, chunk)}.bundle.{digest}.js" for chunk, digest in hashes.items()]


def client_for(ctx: Context, peer: str = "203.0.113.7") -> httpx.AsyncClient:
    """The routes behind the scheme middleware, as in the server's app."""
    proxies = ctx.config.server.trusted_proxies
    middleware = [Middleware(ForwardedProto, trusted_proxies=proxies)]
    app = Starlette(routes=analytics_js_routes(ctx), middleware=middleware)
    transport = httpx.ASGITransport(app=app, client=(peer, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://collector.test:8088")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(Context(make_config())) as c:
        yield c


async def test_library_for_a_known_write_key(client: httpx.AsyncClient) -> None:
    response = await client.get(LIBRARY_URL, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age=" in response.headers["cache-control"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
    expected = installed("standalone.js").replace(
        b"https://cdn.segment.com", b"http://collector.test:8088"
    )
    assert response.content == expected
    assert b"cdn.segment.com" not in response.content
    assert b'"http://collector.test:8088/analytics-next/bundles/"' in response.content


async def test_unknown_write_key_is_404_json(client: httpx.AsyncClient) -> None:
    for key in ("unknown", "x" * 5000, "%00", WRITE_KEY.upper()):
        response = await client.get(f"/analytics.js/v1/{key}/analytics.min.js")
        assert response.status_code == 404
        assert response.json() == {
            "success": False,
            "code": "not_found",
            "message": "unknown write key",
        }


async def test_etag_revalidation_and_gzip(client: httpx.AsyncClient) -> None:
    identity = {"Accept-Encoding": "identity"}
    plain = await client.get(LIBRARY_URL, headers=identity)
    etag = plain.headers["etag"]
    again = await client.get(LIBRARY_URL, headers={**identity, "If-None-Match": f'"x", {etag}'})
    assert again.status_code == 304 and again.content == b""
    stale = {**identity, "If-None-Match": '"stale"'}
    assert (await client.get(LIBRARY_URL, headers=stale)).status_code == 200
    zipped = await client.get(LIBRARY_URL, headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] != etag
    assert zipped.content == plain.content  # httpx decoded it
    refused = await client.get(LIBRARY_URL, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


async def test_library_names_the_origin_behind_a_trusted_proxy() -> None:
    ctx = Context(make_config(trusted_proxies=["10.0.0.0/8"]))
    headers = {"Host": "cdp.example.com", "X-Forwarded-Proto": "https"}
    async with client_for(ctx, peer="10.0.0.5") as proxied:
        body = (await proxied.get(LIBRARY_URL, headers=headers)).content
    assert b'"https://cdp.example.com/analytics-next/bundles/"' in body
    async with client_for(ctx, peer="203.0.113.9") as direct:  # anyone can send the header
        body = (await direct.get(LIBRARY_URL, headers=headers)).content
    assert b'"http://cdp.example.com/analytics-next/bundles/"' in body


async def test_public_url_is_served_whatever_the_host_header() -> None:
    ctx = Context(make_config(public_url="https://cdp.example.com"))
    async with client_for(ctx) as c:
        for host in ("evil.example", 'evil"host', "collector.test:8088"):
            response = await c.get(LIBRARY_URL, headers={"Host": host})
            assert response.status_code == 200
            assert b'"https://cdp.example.com/analytics-next/bundles/"' in response.content
            assert b"evil" not in response.content
            assert response.headers["cache-control"] == "public, max-age=300"


async def test_a_copy_made_from_the_host_header_is_not_for_shared_caches(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(LIBRARY_URL, headers={"Host": "evil.example"})
    assert b'"http://evil.example/analytics-next/bundles/"' in response.content
    assert response.headers["cache-control"] == "private, max-age=300"


@pytest.mark.parametrize(
    "host",
    ['evil"host', "a</script><script>alert(1)//", "a b", "-x", "h:99999999", "x" * 300, "[::1"],
)
async def test_hostile_host_headers_are_refused(client: httpx.AsyncClient, host: str) -> None:
    response = await client.get(LIBRARY_URL, headers={"Host": host})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("host", ["127.0.0.1:8088", "[::1]:8088", "cdp.example.com", "localhost"])
async def test_plain_hosts_are_accepted(client: httpx.AsyncClient, host: str) -> None:
    response = await client.get(LIBRARY_URL, headers={"Host": host})
    assert response.status_code == 200
    assert f'"http://{host}/analytics-next/bundles/"'.encode() in response.content


async def test_every_chunk_the_library_can_request_is_served(client: httpx.AsyncClient) -> None:
    names = chunk_files()
    assert len(names) >= 5
    for name in names:
        response = await client.get(f"/analytics-next/bundles/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("application/javascript")
        assert "immutable" in response.headers["cache-control"]
        assert response.content == installed(name)
        source_map = await client.get(f"/analytics-next/bundles/{name}.map")
        assert source_map.status_code == 200
        assert source_map.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "name",
    [
        "standalone.js",
        "index.js",
        "..%2F..%2Fpackage.json",
        "%2e%2e%2fstandalone.js",
        "queryString.bundle.0000000000000000dead.js",
        "queryString.bundle.34b193ada8fe288d1bd1.js.gz",
        "a" * 2000 + ".bundle.00000000.js",
    ],
)
async def test_other_names_are_404(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/analytics-next/bundles/{name}")
    assert response.status_code == 404
    if response.headers["content-type"] == "application/json":
        assert response.json()["code"] == "not_found"
    else:  # a path with a slash in it matches no route at all
        assert response.content == b"Not Found"


async def test_new_sources_apply_without_restart() -> None:
    ctx = Context(make_config())
    async with client_for(ctx) as c:
        url = "/analytics.js/v1/wk_new/analytics.min.js"
        assert (await c.get(url)).status_code == 404
        ctx.config = Config(sources=[SourceConfig(name="new", write_key="wk_new")])
        assert (await c.get(url)).status_code == 200
        assert (await c.get(LIBRARY_URL)).status_code == 404


async def test_missing_vendor_files_say_how_to_install(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = chunk_files()[0]
    monkeypatch.setenv("EVENTYARD_VENDOR_DIR", str(tmp_path))
    for url in (LIBRARY_URL, f"/analytics-next/bundles/{chunk}", "/analytics-next/bundles/x"):
        response = await client.get(url)
        assert response.status_code == 503
        assert response.json()["code"] == "not_installed"
        assert "make install" in response.json()["message"]


async def test_an_upgraded_package_is_served_without_restart(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    umd = tmp_path / UMD
    umd.mkdir(parents=True)
    library = umd / "standalone.js"
    library.write_bytes(b'var cdn="https://cdn.segment.com";')
    monkeypatch.setenv("EVENTYARD_VENDOR_DIR", str(tmp_path))
    first = await client.get(LIBRARY_URL)
    assert first.content == b'var cdn="http://collector.test:8088";'
    library.write_bytes(b'var v=2,cdn="https://cdn.segment.com";')
    second = await client.get(LIBRARY_URL, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.content == b'var v=2,cdn="http://collector.test:8088";'
