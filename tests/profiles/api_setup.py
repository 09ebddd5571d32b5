"""The Profile API over ASGI on a real server context (control plane, state.db, tokens)
and a real profile store in tmp_path, filled with the journey of `test_journey`."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest
from starlette.applications import Starlette

from eventyard.control import accounts
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.plane import ControlPlane
from eventyard.control.profiles_config import ComputedTraitConfig, ProfilesSettings
from eventyard.control.workspaces import create_workspace
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.profiles.api import profile_api_routes
from eventyard.storage.replay import ReplayService
from eventyard.storage.service import StorageService
from pipeline.conftest import MemoryLog
from profiles.world import World

__all__ = ["ACCESS_TOKEN", "ADMIN_TOKEN", "SETTINGS", "SPACE", "ProfileSite", "profile_site"]

SPACE = "spa_test"
ACCESS_TOKEN = "profile-access-token"
ADMIN_TOKEN = "ey_profiles-admin-token-0123456789abcdef"
SETTINGS = ProfilesSettings(
    space_id=SPACE,
    access_token=ACCESS_TOKEN,
    computed_traits=[
        ComputedTraitConfig(key="orders", type="counter", if_='event = "Order Completed"'),
        ComputedTraitConfig(key="pages", type="counter", if_='type = "page"'),
    ],
)


@dataclass
class ProfileSite:
    ctx: ServerContext
    client: httpx.AsyncClient
    world: World
    other_token: str
    """An owner token of workspace "other"."""

    def url(self, ref: str, what: str, collection: str = "users") -> str:
        return f"/v1/spaces/{SPACE}/collections/{collection}/profiles/{ref}/{what}"

    async def get(
        self, ref: str, what: str, token: str | None = ACCESS_TOKEN, **params: str
    ) -> httpx.Response:
        collection = params.pop("collection", "users")
        auth = None if token is None else (token, "")
        return await self.client.get(self.url(ref, what, collection), params=params, auth=auth)


@pytest.fixture
async def profile_site(tmp_path: Path, store_url: str | None) -> AsyncIterator[ProfileSite]:
    """On each profile store backend (`store_url`)."""
    settings = msgspec.structs.replace(SETTINGS, url=store_url)
    log = MemoryLog()
    state = StateStore(tmp_path / "state.db")
    await state.open()
    environ = {
        "EVENTYARD_ADMIN_PASSWORD": "a long enough password",
        "EVENTYARD_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    config = Config(warehouses=[], profiles=settings)
    plane = await ControlPlane.open(state, tmp_path, config, environ=environ)

    def other(conn: sqlite3.Connection) -> str:
        create_workspace(conn, "other", "test")
        return accounts.create_token(conn, "other", "owner", "theirs", "test")

    other_token = await plane.change(other)
    world = World(tmp_path, settings)
    async with httpx.AsyncClient() as http:
        delivery = DeliveryService(config, state, http)
        replays = ReplayService(config, state, str(tmp_path / "archive"), delivery.notify)
        storage = StorageService(config, log, tmp_path)
        ctx = ServerContext(plane, log, state, delivery, storage, replays, tmp_path)
        app = Starlette(routes=profile_api_routes(ctx))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield ProfileSite(ctx, client, world, other_token)
    world.close()
    await state.close()
