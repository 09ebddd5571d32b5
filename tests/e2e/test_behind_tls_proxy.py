"""eventyard behind a proxy that terminates TLS, through the real server: the UI's cookies get
`Secure` when a trusted proxy says the browser used https (and only then), and with
`server.public_url` analytics.js, its settings and the install snippets name the public
origin whatever Host header a request carries."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from e2e.conftest import WRITE_KEY, module_server
from e2e.server_process import ServerProcess

CONFIG = f"""
server:
  trusted_proxies: [127.0.0.1/32]
  public_url: https://cdp.example.com
sources:
  - name: web
    write_key: {WRITE_KEY}
"""
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from module_server(tmp_path_factory, CONFIG)


def _browser(server: ServerProcess, address: str) -> httpx.Client:
    """A client connecting from `address`: 127.0.0.1 is the proxy, 127.0.0.2 anyone else."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(transport=transport, base_url=server.url, timeout=10)


def _sign_in(client: httpx.Client, server: ServerProcess) -> httpx.Response:
    page = client.get("/login", headers=HTTPS)
    found = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert found, page.text
    password = (server.data_dir / "admin-password").read_text().strip()
    form = {"email": "admin", "password": password, "next": "/", "login_token": found[1]}
    # a Secure cookie is not sent over http by httpx; the browser sends it to the proxy
    cookies = "; ".join(c.split(";")[0] for c in page.headers.get_list("set-cookie"))
    signed_in = client.post("/login", data=form, headers={**HTTPS, "Cookie": cookies})
    assert signed_in.status_code == 303, signed_in.text
    return signed_in


def _session_cookie(response: httpx.Response) -> str:
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if "session" in c]
    return cookie.lower()


def test_cookies_are_secure_when_a_trusted_proxy_forwards_https(server: ServerProcess) -> None:
    with _browser(server, "127.0.0.1") as proxied:
        assert "; secure" in _session_cookie(_sign_in(proxied, server))


def test_a_client_claiming_https_itself_is_not_believed(server: ServerProcess) -> None:
    with _browser(server, "127.0.0.2") as direct:
        assert "; secure" not in _session_cookie(_sign_in(direct, server))


@pytest.fixture
def signed_in(server: ServerProcess) -> Iterator[httpx.Client]:
    with _browser(server, "127.0.0.1") as client:
        session = _sign_in(client, server).headers.get_list("set-cookie")
        client.headers["Cookie"] = "; ".join(c.split(";")[0] for c in session)
        yield client


def test_public_url_wins_over_a_hostile_host_header(
    server: ServerProcess, signed_in: httpx.Client
) -> None:
    hostile = {"Host": "evil.example", "Accept-Encoding": "identity"}
    with _browser(server, "127.0.0.2") as anyone:
        library = anyone.get(f"/analytics.js/v1/{WRITE_KEY}/analytics.min.js", headers=hostile)
        settings = anyone.get(f"/v1/projects/{WRITE_KEY}/settings", headers=hostile)
    assert library.status_code == 200
    assert b'"https://cdp.example.com/analytics-next/bundles/"' in library.content
    assert b"evil.example" not in library.content
    assert library.headers["cache-control"] == "public, max-age=300"
    segment = settings.json()["integrations"]["Segment.io"]
    assert (segment["apiHost"], segment["protocol"]) == ("cdp.example.com/v1", "https")
    page = signed_in.get("/sources/web", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "https://cdp.example.com/v1/track" in page.text  # the curl snippet
    assert "evil.example" not in page.text
