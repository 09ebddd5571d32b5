"""An OAuth 2 destination whose access token expired, through the real server: the `401`
makes Segment's code refresh it (its `refreshAccessToken`, against a local token endpoint),
the retry succeeds, and the new tokens are stored encrypted in the destination's settings,
audited as a system change, and used after a restart without refreshing again.

Hilo (Actions) is the flow: an `oauth-managed` destination whose platform rotates the
refresh token. Every request of the runner goes to a local fake
(`EVENTYARD_ACTIONS_INTERCEPT`) that plays both the token endpoint and the API.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from segment.analytics.client import Client

from e2e.conftest import wait_until
from e2e.server_process import ServerProcess
from eventyard.control.secrets import SecretBox
from eventyard.destinations.actions.runner import INTERCEPT_ENV, ORIGINAL_URL_HEADER
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

WRITE_KEY = "wk_oauth"
TOKEN_URL = "https://api.hilohq.com/oauth/token"
CONFIG = f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: hilo
    type: actions/hilo
    sources: [web]
    settings:
      integrationId: int-1
      access_token: expired-access
      refresh_token: first-refresh
      client_id: app-id
      client_secret: app-secret
    delivery:
      backoff_initial: 10m
"""


def platform(request: Received) -> Answer:
    """The token endpoint rotates both tokens; the API takes only the new access token."""
    if request.headers[ORIGINAL_URL_HEADER].startswith(TOKEN_URL):
        body = {"access_token": "fresh-access", "refresh_token": "second-refresh"}
        return Answer(200, {"content-type": "application/json"}, json.dumps(body).encode())
    if request.headers.get("authorization") == "Bearer fresh-access":
        return Answer(200, {"content-type": "application/json"}, b"{}")
    return Answer(401, {"content-type": "application/json"}, b'{"error":"token expired"}')


def track(server: ServerProcess) -> None:
    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    ok, _ = client.track("user-1", "Signed Up", {"plan": "pro"})
    assert ok


def stored(data_dir: Path) -> tuple[str, str, list[str]]:
    """The destination's stored document and secrets as on disk, and the audit's actors."""
    with sqlite3.connect(data_dir / "state.db") as conn:
        doc, secrets = conn.execute(
            "SELECT doc, secrets FROM objects WHERE kind = 'destination' AND name = 'hilo'"
        ).fetchone()
        actors = [a for (a,) in conn.execute("SELECT actor FROM audit_log WHERE name = 'hilo'")]
    return doc, secrets, actors


def start(path: Path, data_dir: Path, receiver: WebhookReceiver) -> ServerProcess:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(INTERCEPT_ENV, receiver.url)
        return ServerProcess(path, data_dir).start()


async def test_a_refreshed_token_is_stored_encrypted_and_used_after_a_restart(
    data_dir: Path, receiver: WebhookReceiver
) -> None:
    receiver.on_request = platform
    path = data_dir.parent / f"{data_dir.name}.yaml"
    path.write_text(CONFIG)
    server = await asyncio.to_thread(start, path, data_dir, receiver)
    try:
        await asyncio.to_thread(track, server)
        await receiver.wait_for(3, timeout=30)
        await wait_until(
            lambda: "system:oauth-refresh" in stored(data_dir)[2], 30, "the stored tokens"
        )
    finally:
        await asyncio.to_thread(server.stop)
    expired, refresh, retried = receiver.requests
    assert expired.headers["authorization"] == "Bearer expired-access"
    assert refresh.headers[ORIGINAL_URL_HEADER].startswith(TOKEN_URL)
    assert parse_qs(refresh.body.decode())["refresh_token"] == ["first-refresh"]
    assert retried.headers["authorization"] == "Bearer fresh-access"
    assert json.loads(retried.body)["event"]["name"] == "Signed Up"

    doc, secrets, _ = stored(data_dir)
    assert "fresh-access" not in doc + secrets and "second-refresh" not in doc + secrets
    box = SecretBox.load(data_dir)
    plain = {tuple(path)[-1]: box.decrypt(token) for path, token in json.loads(secrets)}
    assert plain["access_token"] == "fresh-access"
    assert plain["refresh_token"] == "second-refresh"

    server = await asyncio.to_thread(start, path, data_dir, receiver)
    try:
        await asyncio.to_thread(track, server)
        (after,) = (await receiver.wait_for(4, timeout=30))[3:]
    finally:
        await asyncio.to_thread(server.stop)
    assert after.headers["authorization"] == "Bearer fresh-access"
    assert ORIGINAL_URL_HEADER in after.headers and len(receiver.requests) == 4
