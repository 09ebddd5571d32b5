"""The smaller leaks of issue 12.10, against a real `eventyard serve` with two workspaces.

- A write key another source holds is refused in the same words whichever workspace that
  source is in, and the answer names neither.
- The Profile API sends no CORS headers, whatever the Origin.
- `/metrics` (every workspace's names) needs `server.metrics_token` once there are two
  workspaces.
- No workspace's API token reads the Profile API, which spans every workspace.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from e2e.server_process import ServerProcess

WRITE_KEY = "wk_leaks_default"
SPACE = "spa_leaks"
ACCESS = "leaks-profile-token"
SCRAPE = "scrape-token-0123456789"


def _config(metrics_token: str | None) -> str:
    server = f"server: {{metrics_token: {metrics_token}}}\n" if metrics_token else ""
    return f"""{server}
sources:
  - name: web
    write_key: {WRITE_KEY}
archive:
  enabled: false
warehouses: []
profiles:
  space_id: {SPACE}
  access_token: {ACCESS}
"""


def _start(tmp_path: Path, metrics_token: str | None) -> ServerProcess:
    config = tmp_path / "eventyard.yaml"
    config.write_text(_config(metrics_token))
    return ServerProcess(config, tmp_path / "data").start()


def _profile_url(server: ServerProcess) -> str:
    return f"{server.url}/v1/spaces/{SPACE}/collections/users/profiles/user_id:ada-42/traits"


def _leaks_in_one_server(server: ServerProcess) -> None:
    """Checks (a), (b), (d), and /metrics without a token."""
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as api:
        _leaks(server, api)


def _leaks(server: ServerProcess, api: httpx.Client) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 200  # one workspace: open

    other = api.post("/api/v1/workspaces", json={"name": "other"}).json()["token"]
    shop = httpx.post(
        f"{server.url}/api/v1/sources",
        json={"name": "shop", "write_key": "wk-theirs"},
        headers={"Authorization": f"Bearer {other}"},
    )
    web2 = api.post("/api/v1/sources", json={"name": "web2", "write_key": "wk-mine"})
    assert (shop.status_code, web2.status_code) == (201, 201)

    # (a) The same answer for a key of their workspace and one of mine, naming neither.
    answers = [
        api.put("/api/v1/sources/web", json={"write_key": key}) for key in ("wk-theirs", "wk-mine")
    ]
    assert [a.status_code for a in answers] == [400, 400]
    theirs_said, mine_said = (a.json()["message"] for a in answers)
    assert theirs_said == mine_said
    assert "shop" not in theirs_said and "workspace" not in theirs_said
    assert "web2" not in mine_said

    # (b) No CORS on the Profile API, for any Origin; the tracking API keeps its CORS.
    origin = {"Origin": "https://evil.example"}
    for method in ("GET", "OPTIONS"):
        answer = httpx.request(method, _profile_url(server), headers=origin, auth=(ACCESS, ""))
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    tracked = httpx.options(f"{server.url}/v1/batch", headers=origin)
    assert tracked.headers["access-control-allow-origin"] == "https://evil.example"

    # (d) No workspace token reads profiles: a viewer of default, the owner of other.
    viewer = api.post("/api/v1/tokens", json={"name": "look", "role": "viewer"}).json()["token"]
    for token in (viewer, other, server.token):
        refused = httpx.get(_profile_url(server), auth=(token, ""))
        assert refused.status_code == 401, refused.text
    assert httpx.get(_profile_url(server), auth=(ACCESS, "")).status_code == 404  # no such one

    # (c) Two workspaces and no metrics_token: /metrics is closed, saying what to set.
    closed = httpx.get(f"{server.url}/metrics")
    assert closed.status_code == 403 and "server.metrics_token" in closed.json()["message"]


def _scrape(server: ServerProcess) -> None:
    """(c) With server.metrics_token set, /metrics answers only the Bearer token."""
    url = f"{server.url}/metrics"
    for sent in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SCRAPE}):
        refused = httpx.get(url, headers=sent)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
    scraped = httpx.get(url, headers={"Authorization": f"Bearer {SCRAPE}"})
    assert scraped.status_code == 200
    assert "# TYPE eventyard_events_total counter" in scraped.text


async def test_small_leaks_are_closed(tmp_path: Path) -> None:
    server = await asyncio.to_thread(_start, tmp_path, None)
    try:
        await asyncio.to_thread(_leaks_in_one_server, server)
    finally:
        await asyncio.to_thread(server.stop)

    server = await asyncio.to_thread(_start, tmp_path, SCRAPE)
    try:
        await asyncio.to_thread(_scrape, server)
    finally:
        await asyncio.to_thread(server.stop)
