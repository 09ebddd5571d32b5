"""A real server context for the debugger and delivery pages: SQLite log and state, the
control plane with two workspaces, signed-in users per role, the router and the workers.

Workspace "default" has sources `web` and `app` and destinations `hook` (web -> the test's
webhook receiver) and `ads` (app -> an ad-platform type, for the match-quality panel);
workspace "other" has source `otherws-src` and destination `otherws-dest`, which no page of
"default" may show.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette

from delivery.conftest import eventually
from eventyard.control import accounts, store
from eventyard.control.bootstrap import ADMIN_LOGIN
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.plane import ControlPlane
from eventyard.control.workspaces import create_workspace
from eventyard.conversions.spec import ConversionSpec
from eventyard.delivery import DeliveryService, StateStore
from eventyard.destinations import registry
from eventyard.destinations.webhook import definition as webhook
from eventyard.log import open_log
from eventyard.log.base import Entry, EventLog
from eventyard.pipeline import Router
from eventyard.pipeline.router import CONSUMER
from eventyard.storage.replay import ReplayService
from eventyard.ui.delivery import delivery_routes
from eventyard.ui.live import live_routes
from fakes.webhook_receiver import WebhookReceiver

__all__ = ["Ui", "event", "serving", "ui"]

FAST = {"timeout": "1s", "backoff_initial": "10ms", "backoff_max": "50ms", "max_age": "1h"}
AD_TYPE = dataclasses.replace(
    webhook,
    slug="test-ads",
    name="Test Ads",
    conversion=ConversionSpec(
        platform="meta",
        default_events=frozenset({"purchase"}),
        match_weights={"email": 3.0, "phone": 2.0},
    ),
)


class NoStorage:
    """This server runs no storage consumers (the status has no storage part)."""

    async def status(self) -> dict[str, Any]:
        return {}


@dataclass
class Ui:
    ctx: ServerContext
    app: Starlette
    log: EventLog
    state: StateStore
    delivery: DeliveryService
    router: Router
    receiver: WebhookReceiver
    sessions: dict[str, str]
    """Session cookie per role in workspace "default"."""

    def client(self, role: str | None = "owner") -> httpx.AsyncClient:
        cookies = {"eventyard_session": self.sessions[role]} if role else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://ui", cookies=cookies
        )

    async def append(self, *entries: Entry) -> None:
        await self.log.append(entries)

    async def route_and_deliver(self) -> None:
        """Route every new record, then deliver until no queue has a due job left."""
        for partition, end in enumerate(await self.log.end_offsets()):
            done = await self.log.committed(CONSUMER, partition)
            if end > done:
                await self.router.process(await self.log.read(partition, done, end - done))

        async def drained() -> bool:
            return all(s.pending == 0 for s in await self.delivery.status())

        stop = asyncio.Event()
        task = asyncio.create_task(self.delivery.run(stop))
        try:
            await eventually(drained)
        finally:
            stop.set()
            await task


def event(message_id: str, source: str = "web", **fields: Any) -> Entry:
    body = {"type": "track", "event": "Paid", "userId": "u1", "messageId": message_id}
    body.update(fields)
    body.setdefault("receivedAt", "2024-05-01T12:00:00.000Z")
    return Entry(source, str(body.get("userId") or "anon"), message_id, orjson.dumps(body))


def _docs(url: str) -> list[tuple[str, str, dict[str, Any]]]:
    hook = {"type": "webhook", "settings": {"url": url}, "delivery": FAST}
    return [
        ("source", "default", {"name": "web", "write_key": "wk-web"}),
        ("source", "default", {"name": "app", "write_key": "wk-app"}),
        ("source", "other", {"name": "otherws-src", "write_key": "wk-otherws"}),
        ("destination", "default", {"name": "hook", "sources": ["web"], **hook}),
        ("destination", "default", {**hook, "name": "ads", "type": "test-ads", "sources": ["app"]}),
        ("destination", "other", {"name": "otherws-dest", "sources": ["otherws-src"], **hook}),
    ]


@pytest.fixture
async def ui(tmp_path: Path) -> AsyncIterator[Ui]:
    with registry.registered(AD_TYPE):
        async for made in _ui(tmp_path):
            yield made


async def _ui(tmp_path: Path) -> AsyncIterator[Ui]:
    log = open_log(None, tmp_path, 4)
    await log.open()
    state = StateStore(tmp_path / "state.db")
    await state.open()
    plane = await ControlPlane.open(state, tmp_path, Config(), environ={})
    sessions: dict[str, str] = {}
    async with WebhookReceiver() as receiver, httpx.AsyncClient() as http:

        def seed(conn: Any) -> None:
            create_workspace(conn, "other", "test")
            for kind, workspace, doc in _docs(receiver.url):
                store.put_object(conn, plane.box, kind, workspace, doc, "test")
            sessions["owner"] = accounts.create_session(conn, ADMIN_LOGIN)  # made at first start
            for role in ("editor", "viewer"):
                email = f"{role}@example.com"
                accounts.create_user(conn, email, "a long password", "default", role, "test")
                sessions[role] = accounts.create_session(conn, email)
            accounts.create_user(
                conn, "stranger@example.com", "a long password", "other", "owner", "t"
            )
            sessions["stranger"] = accounts.create_session(conn, "stranger@example.com")

        await plane.change(seed)
        config = plane.live.current
        delivery = DeliveryService(config, state, http)
        router = Router(config, log, state, on_enqueued=delivery.notify)
        replays = ReplayService(config, state, str(tmp_path / "archive"), delivery.notify)
        await replays.open()
        ctx = ServerContext(plane, log, state, delivery, NoStorage(), replays, tmp_path)
        app = Starlette(routes=[*live_routes(ctx), *delivery_routes(ctx)])
        yield Ui(ctx, app, log, state, delivery, router, receiver, sessions)
    await state.close()
    await log.close()


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Run the app in a real uvicorn on a free port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: _started(server))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _started(server: uvicorn.Server) -> bool:
    return server.started
