"""A real admin UI over a real server context: SQLite log and state in tmp_path, the control
plane, and signed-in users per role. Workspace "default" starts with source `web`;
workspace "other" has source `elsewhere` and a member `stranger@example.com`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from eventyard.control import accounts, store
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.plane import ControlPlane
from eventyard.control.store import StoredObject
from eventyard.control.workspaces import create_workspace
from eventyard.delivery import DeliveryService, StateStore
from eventyard.log import open_log
from eventyard.log.base import Entry
from eventyard.storage.replay import ReplayService
from eventyard.storage.service import StorageService
from eventyard.ui.app import ui_routes
from eventyard.ui.session import csrf_token

__all__ = ["PASSWORD", "Site", "seeded", "site", "text_of", "track"]

PASSWORD = "correct horse battery"
ROLES = ("owner", "editor", "viewer")


@dataclass
class Site:
    ctx: ServerContext
    app: Starlette
    sessions: dict[str, str]
    """Session cookie by role in workspace "default" (and "stranger" in "other")."""

    def client(self, role: str | None = "owner", host: str = "ui.test") -> httpx.AsyncClient:
        cookies = {"eventyard_session": self.sessions[role]} if role else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=f"http://{host}", cookies=cookies
        )

    def form(self, who: str, /, **fields: Any) -> dict[str, Any]:
        """Form fields plus the session's CSRF token, as the page's hidden input carries it."""
        return {"csrf_token": csrf_token(self.sessions[who]), **fields}

    async def objects(self, kind: str, workspace: str = "default") -> dict[str, StoredObject]:
        found = await self.ctx.plane.read(lambda c: store.list_objects(c, kind, workspace))
        return {obj.name: obj for obj in found}

    async def put(self, kind: str, doc: dict[str, Any], workspace: str = "default") -> None:
        box = self.ctx.plane.box
        await self.ctx.plane.change(
            lambda c: store.put_object(c, box, kind, workspace, doc, "user:test")
        )

    async def append(self, *entries: Entry) -> None:
        await self.ctx.log.append(entries)


def track(message_id: str, source: str = "web", **fields: Any) -> Entry:
    """A track event as ingest appends it."""
    event = {
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "messageId": message_id,
        "receivedAt": "2024-05-01T12:00:00.000Z",
        "properties": {"revenue": 10},
        **fields,
    }
    return Entry(source, str(event.get("userId")), message_id, orjson.dumps(event))


def _seed(box: Any, sessions: dict[str, str], conn: sqlite3.Connection) -> None:
    create_workspace(conn, "other", "test")
    store.put_object(conn, box, "source", "default", {"name": "web"}, "test")
    store.put_object(conn, box, "source", "other", {"name": "elsewhere"}, "test")
    for role in ROLES:
        email = f"{role}@example.com"
        accounts.create_user(conn, email, PASSWORD, "default", role, "test")
        sessions[role] = accounts.create_session(conn, email)
    accounts.create_user(conn, "stranger@example.com", PASSWORD, "other", "owner", "test")
    sessions["stranger"] = accounts.create_session(conn, "stranger@example.com")


async def _build(folder: Path, sessions: dict[str, str]) -> None:
    state = StateStore(folder / "state.db")
    await state.open()
    environ = {"EVENTYARD_ADMIN_PASSWORD": PASSWORD}
    plane = await ControlPlane.open(state, folder, Config(warehouses=[]), environ=environ)
    await plane.change(lambda conn: _seed(plane.box, sessions, conn))
    await state.close()


_TEMPLATE: list[tuple[Path, dict[str, str]]] = []
"""Built once per test session, however many test modules import the fixture."""


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The seeded state.db and secret key: users cost a scrypt hash each, so build them once."""
    if not _TEMPLATE:
        folder = tmp_path_factory.mktemp("ui-seed")
        sessions: dict[str, str] = {}
        asyncio.run(_build(folder, sessions))
        _TEMPLATE.append((folder, sessions))
    return _TEMPLATE[0]


@pytest.fixture
async def site(tmp_path: Path, seeded: tuple[Path, dict[str, str]]) -> AsyncIterator[Site]:
    folder, seeded_sessions = seeded
    for file in folder.iterdir():
        if file.name.startswith("state.db") or file.name == "secret.key":
            shutil.copy2(file, tmp_path / file.name)
    sessions = dict(seeded_sessions)
    log = open_log(None, tmp_path, 4)
    await log.open()
    state = StateStore(tmp_path / "state.db")
    await state.open()
    plane = await ControlPlane.open(state, tmp_path, Config(warehouses=[]), environ={})
    config = plane.live.current
    async with httpx.AsyncClient() as http:
        delivery = DeliveryService(config, state, http)
        replays = ReplayService(config, state, str(tmp_path / "archive"), delivery.notify)
        storage = StorageService(config, log, tmp_path)
        ctx = ServerContext(plane, log, state, delivery, storage, replays, tmp_path)
        yield Site(ctx, Starlette(routes=ui_routes(ctx)), sessions)
    await state.close()
    await log.close()


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
