"""A real control plane behind the REST API, over ASGI, with two workspaces and a token per
role: the fixture every `test_api*` module uses.

Workspace "default": source `web`, webhook destinations `a` and `b` (with a secret).
Workspace "other": source `shop`, destination `c`. Tokens: `owner`, `editor`, `viewer`
of "default", and `other` (owner of "other").
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from starlette.applications import Starlette

from eventyard.control import accounts, store
from eventyard.control.accounts import Role
from eventyard.control.api import api_routes
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.plane import ControlPlane
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.storage.replay import ReplayService
from eventyard.storage.service import StorageService, archive_root
from pipeline.conftest import MemoryLog

__all__ = ["OWNER_TOKEN", "SECRET", "World", "api_world", "assert_error", "decoded"]

T = TypeVar("T")

OWNER_TOKEN = "ey_test-owner-token-0123456789abcdef"
SECRET = "hook-shared-secret-value"


class CountingLog(MemoryLog):
    async def received(self) -> dict[str, int]:
        return {"web": 3, "shop": 5, 'we"ird\\src': 1}


def hook_doc(name: str, source: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "webhook",
        "sources": [source],
        "settings": {"url": f"http://127.0.0.1:9/{name}", "shared_secret": SECRET},
        **extra,
    }


@dataclass
class World:
    client: httpx.AsyncClient
    ctx: ServerContext
    tokens: dict[str, str]

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, method: str, path: str, who: str | None = "owner", **kwargs: Any
    ) -> httpx.Response:
        headers = self.headers(who) | kwargs.pop("headers", {})
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def add_token(self, workspace: str, role: Role, name: str) -> str:
        return await self.ctx.plane.change(
            lambda conn: accounts.create_token(conn, workspace, role, name, "test")
        )


def _seed(conn: sqlite3.Connection, plane: ControlPlane) -> None:
    store.create_workspace(conn, "other", "test")
    for workspace, kind, doc in [
        ("default", "source", {"name": "web", "write_key": "wk-web"}),
        ("default", "destination", hook_doc("a", "web")),
        ("default", "destination", hook_doc("b", "web")),
        ("other", "source", {"name": "shop", "write_key": "wk-shop"}),
        ("other", "destination", hook_doc("c", "shop")),
    ]:
        store.put_object(conn, plane.box, kind, workspace, doc, "test")


@pytest.fixture
async def api_world(tmp_path: Path) -> AsyncIterator[World]:
    state = StateStore(tmp_path / "state.db")
    await state.open()
    environ = {"EVENTYARD_ADMIN_TOKEN": OWNER_TOKEN}
    file_config = Config(warehouses=[])
    plane = await ControlPlane.open(state, tmp_path, file_config, environ)
    await plane.change(lambda conn: _seed(conn, plane))
    config = plane.live.current
    log = CountingLog()
    try:
        async with httpx.AsyncClient() as http:
            delivery = DeliveryService(config, state, http)
            replays = ReplayService(
                config, state, archive_root(config, tmp_path), on_enqueued=delivery.notify
            )
            await replays.open()
            ctx = ServerContext(
                plane=plane,
                log=log,
                state=state,
                delivery=delivery,
                storage=StorageService(config, log, tmp_path),
                replays=replays,
                data_dir=tmp_path,
            )
            app = Starlette(routes=api_routes(ctx))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
                world = World(client, ctx, {"owner": OWNER_TOKEN})
                for role in ("editor", "viewer"):
                    world.tokens[role] = await world.add_token("default", role, role)
                world.tokens["other"] = await world.add_token("other", "owner", "other-owner")
                yield world
    finally:
        await state.close()


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> None:
    """An error answer: status, JSON content type, the shape, the code, words in the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"success", "code", "message"}
    assert body["success"] is False and body["code"] == code, body
    for word in words:
        assert word in body["message"], body["message"]


def decoded(response: httpx.Response, kind: type[T], status: int = 200) -> T:
    """The answer decoded (strictly) as the type its endpoint documents."""
    assert response.status_code == status, response.text
    return msgspec.json.decode(response.content, type=kind, strict=True)
