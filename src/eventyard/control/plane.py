"""The control plane: reads and changes the configuration objects, and keeps the running
configuration (`LiveConfig`) in step with them.

The runtime configuration is the file's process settings (server, log, pipeline, storage,
conversions) with the sources and destinations of every workspace from state.db. A change
made through the API or UI is published before its answer is sent; a change made by
another process (`eventyard apply`) is noticed by `follow`, which polls `config_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import msgspec

from eventyard.control.apply import Change, apply_changes, plan_changes
from eventyard.control.bootstrap import Bootstrapped, bootstrap
from eventyard.control.config import Config, DestinationConfig, SourceConfig
from eventyard.control.live import LiveConfig
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.control.secrets import SecretBox
from eventyard.control.store import config_version, ensure_schema, runtime_objects, verify_key
from eventyard.control.store_protocols import runtime_protocols
from eventyard.control.workspaces import DEFAULT_WORKSPACE
from eventyard.delivery.state import StateStore

__all__ = ["FILE_ACTOR", "ControlPlane"]

T = TypeVar("T")
FILE_ACTOR = "system:config-file"
"""The audit actor of changes `serve --config` applies at start."""

log = logging.getLogger(__name__)

_Snapshot = tuple[
    int,
    list[SourceConfig],
    list[DestinationConfig],
    list[TrackingPlanConfig],
    list[TransformationConfig],
]


class ControlPlane:
    """What the API and UI use to read and change configuration. Create with `open`."""

    def __init__(
        self,
        state: StateStore,
        box: SecretBox,
        file_config: Config,
        data_dir: Path,
        snapshot: _Snapshot,
        bootstrapped: Bootstrapped,
    ) -> None:
        self.state = state
        self.box = box
        self.file_config = file_config
        self.data_dir = data_dir
        self.bootstrapped = bootstrapped
        """The credentials first start created: print `bootstrapped.messages()` once."""
        self._version = snapshot[0]
        self.live = LiveConfig(self._compose(snapshot))

    @classmethod
    async def open(
        cls,
        state: StateStore,
        data_dir: Path,
        file_config: Config,
        environ: Mapping[str, str] = os.environ,
    ) -> ControlPlane:
        """Create the tables, check the secret key, ensure the admin credentials and load
        the objects. Raises ConfigError (e.g. the wrong secret key) with what to do."""
        box = SecretBox.load(data_dir)

        def prepare(conn: sqlite3.Connection) -> None:
            ensure_schema(conn)
            verify_key(conn, box)

        await state.run(prepare)
        bootstrapped = await bootstrap(state, data_dir, environ)
        snapshot = await state.run(lambda conn: _snapshot(conn, box))
        return cls(state, box, file_config, data_dir, snapshot, bootstrapped)

    def _compose(self, snapshot: _Snapshot) -> Config:
        _, sources, destinations, plans, transformations = snapshot
        return msgspec.structs.replace(
            self.file_config,
            sources=sources,
            destinations=destinations,
            tracking_plans=plans,
            transformations=transformations,
        )

    def _publish(self, snapshot: _Snapshot | None) -> None:
        # Answers can resume out of order; never go back to an older version.
        if snapshot is not None and snapshot[0] > self._version:
            self._version = snapshot[0]
            self.live.publish(self._compose(snapshot))

    def _if_newer(self, conn: sqlite3.Connection) -> _Snapshot | None:
        return None if config_version(conn) == self._version else _snapshot(conn, self.box)

    async def compose(self) -> Config:
        """The runtime Config as state.db has it now (without publishing it)."""
        return self._compose(await self.state.run(lambda conn: _snapshot(conn, self.box)))

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self.state.run(fn)

    async def change(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn in one state transaction; if it changed the configuration, publish the
        new runtime Config before returning (the change applies before any answer)."""

        def run(conn: sqlite3.Connection) -> tuple[T, _Snapshot | None]:
            result = fn(conn)
            return result, self._if_newer(conn)

        result, snapshot = await self.state.run(run)
        self._publish(snapshot)
        return result

    async def refresh(self) -> None:
        """Publish what another process changed since the last look, if anything."""
        self._publish(await self.state.run(self._if_newer))

    async def follow(self, stop: asyncio.Event, every: float = 1.0) -> None:
        """Until `stop`: `refresh` every `every` seconds. A failing read is logged and
        retried at the next tick; it never ends the loop."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            try:
                await self.refresh()
            except Exception:
                log.exception("cannot read the configuration from state.db; retrying")

    async def apply_file(self, workspace: str = DEFAULT_WORKSPACE) -> list[Change]:
        """Make `workspace` match the file's objects (`serve --config`), when the file's
        objects changed since they were last applied.

        An unchanged file leaves the database as it is, so that what was changed through the
        API and UI since survives a restart; an edited file wins (like `eventyard apply`).
        A file with no objects at all only sets process settings and never deletes anything.
        """
        desired = self.file_config
        objects = (
            desired.sources,
            desired.destinations,
            desired.tracking_plans,
            desired.transformations,
        )
        if not any(objects):
            return []
        fingerprint = self.box.fingerprint(msgspec.json.encode(objects, enc_hook=float))

        def run(conn: sqlite3.Connection) -> list[Change]:
            if last_applied(conn, workspace) == fingerprint:
                return []
            changes = plan_changes(conn, self.box, workspace, desired)
            apply_changes(conn, self.box, workspace, changes, FILE_ACTOR)
            remember_applied(conn, workspace, fingerprint)
            return changes

        return await self.change(run)


def last_applied(conn: sqlite3.Connection, workspace: str) -> str | None:
    row = conn.execute(
        "SELECT fingerprint FROM applied_files WHERE workspace = ?", (workspace,)
    ).fetchone()
    return None if row is None else str(row[0])


def remember_applied(conn: sqlite3.Connection, workspace: str, fingerprint: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO applied_files (workspace, fingerprint, at) VALUES (?, ?, ?)",
        (workspace, fingerprint, time.time()),
    )


def _snapshot(conn: sqlite3.Connection, box: SecretBox) -> _Snapshot:
    return (config_version(conn), *runtime_objects(conn, box), *runtime_protocols(conn))
