"""A real profile store in tmp_path, fed log records through the engine, and helpers to
read what it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import orjson

from eventyard.control.profiles_config import ProfilesSettings
from eventyard.log.base import LogRecord
from eventyard.profiles.engine import Engine
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfileStore, open_store

__all__ = ["World", "event", "record"]

T = TypeVar("T")


def event(message_id: str, at: str, **fields: Any) -> dict[str, Any]:
    """A Segment event as the log holds it; `at` is its (skew-corrected) timestamp."""
    return {"type": "track", "messageId": message_id, "timestamp": at, **fields}


def record(body: dict[str, Any], source: str = "web", offset: int = 1) -> LogRecord:
    payload = orjson.dumps(body)
    return LogRecord(0, offset, source, "key", str(body["messageId"]), payload, 0.0)


class World:
    def __init__(
        self,
        folder: Path,
        settings: ProfilesSettings | None = None,
        *,
        feed: bool = False,
        url: str | None = None,
    ) -> None:
        """`url`: the store (default `<folder>/profiles.db`), e.g. a PostgreSQL database."""
        settings = settings or ProfilesSettings()
        if url is not None:
            settings = msgspec.structs.replace(settings, url=url)
        self.store: ProfileStore = open_store(settings, folder)
        self.store.open()
        self.engine = Engine(settings, feed=feed)

    def apply(self, events: Iterable[dict[str, Any]], now: float | None = None) -> int:
        records = [record(body) for body in events]
        return self.store.write(lambda sql: self.engine.apply(sql, records, now))

    def read(self, fn: Callable[[Sql], T]) -> T:
        return self.store.read(fn)

    def profiles(self) -> dict[str, set[Ident]]:
        """Each live profile's identifiers."""
        rows = self.read(
            lambda sql: sql.all(
                "SELECT profile_id, type, value FROM identifiers WHERE profile_id IS NOT NULL"
            )
        )
        groups: dict[str, set[Ident]] = {}
        for profile, kind, value in rows:
            groups.setdefault(profile, set()).add((kind, value))
        return groups

    def partition(self) -> set[frozenset[Ident]]:
        """The identifiers of each profile (what must not depend on arrival order)."""
        return {frozenset(ids) for ids in self.profiles().values()}

    def close(self) -> None:
        self.store.close()
