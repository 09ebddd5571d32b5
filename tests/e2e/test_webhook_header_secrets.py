"""The webhook's `headers` are secrets (issue 12, left over from 12.6): an `Authorization`
header set in a file is sent to the receiver as written, but the API, the audit log,
`eventyard export` and the server's output only ever show `********`.

Writing the mask back keeps a header's value, a new value replaces it, a header left out is
removed, and a new `url` with a kept header is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from e2e.destination_case import config, one_track, send
from e2e.server_process import ServerProcess
from e2e.test_cli import eventyard
from fakes.webhook_receiver import Received, WebhookReceiver

BEARER = "Bearer hk-live-5e1d0c9b7a"
TEAM = "team-key-33f1a8"
MASK = "********"


async def _delivered(server: ServerProcess, receiver: WebhookReceiver) -> Received:
    """Send one track call; the request the receiver got for it."""
    count = len(receiver.requests) + 1
    await asyncio.to_thread(send, server.url, one_track)
    return (await receiver.wait_for(count, timeout=10))[-1]


def _export(data_dir: Path) -> str:
    done = eventyard("export", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_header_values_are_sent_but_never_shown(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess], tmp_path: Path
) -> None:
    headers = {"Authorization": BEARER, "X-Team": TEAM}
    settings = {"url": receiver.url, "headers": headers}
    server = await asyncio.to_thread(start_server, config("hook", "webhook", settings))
    first = await _delivered(server, receiver)
    assert first.headers["authorization"] == BEARER and first.headers["x-team"] == TEAM

    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as api:
        shown = (await api.get("/api/v1/destinations/hook")).json()
        assert shown["settings"]["headers"] == {"Authorization": MASK, "X-Team": MASK}

        # Keep Authorization (the mask), replace X-Team, add X-New.
        kept = {"Authorization": MASK, "X-Team": "team-key-2", "X-New": "n1"}
        changed = await api.patch(
            "/api/v1/destinations/hook",
            json={"settings": {"url": receiver.url, "headers": kept}},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["settings"]["headers"] == dict.fromkeys(kept, MASK)
        second = await _delivered(server, receiver)
        assert second.headers["authorization"] == BEARER
        assert (second.headers["x-team"], second.headers["x-new"]) == ("team-key-2", "n1")

        # A header left out is removed.
        fewer = {"Authorization": MASK, "X-Team": MASK}
        changed = await api.patch(
            "/api/v1/destinations/hook",
            json={"settings": {"url": receiver.url, "headers": fewer}},
        )
        assert changed.status_code == 200, changed.text
        third = await _delivered(server, receiver)
        assert "x-new" not in third.headers and third.headers["authorization"] == BEARER

        # A kept header does not follow the webhook to another address.
        moved = await api.patch(
            "/api/v1/destinations/hook",
            json={"settings": {"url": "http://127.0.0.1:9/elsewhere", "headers": fewer}},
        )
        assert moved.status_code == 400
        assert moved.json()["message"] == (
            "destinations.hook.settings.url changed: set settings.headers.Authorization, "
            "settings.headers.X-Team again (kept secrets are not sent to a new address)"
        )
        audit = (await api.get("/api/v1/audit", params={"limit": "100"})).text
        listed = (await api.get("/api/v1/destinations")).text
    await asyncio.to_thread(server.stop)

    exported = await asyncio.to_thread(_export, server.data_dir)
    log = (tmp_path / f"server-{server.port}.log").read_text()
    assert "X-Team: '********'" in exported and "Authorization: '********'" in exported
    assert '"X-New":"********"' in audit  # the changes were recorded, masked
    for where in (audit, listed, exported, log):
        for value in ("hk-live-5e1d0c9b7a", TEAM, "team-key-2"):
            assert value not in where
