"""`ProfileStore`: where the graph lives, in the user's own database.

A backend provides one write transaction at a time and consistent reads; every statement
the profile code runs is portable SQL (`sql.py`), so a backend module is its connection
handling and its table types (`schema.statements(dialect)`): `store_sqlite` (the embedded
default, `<data-dir>/profiles.db`) and `store_postgres` (`profiles.url: postgresql://...`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from eventyard.control.profiles_config import ProfilesSettings
from eventyard.profiles.sql import Sql

__all__ = ["ProfileStore", "ProfilesNotReady", "open_store", "store_path"]

T = TypeVar("T")


class ProfilesNotReady(Exception):
    """The store has not been created yet: no event was processed (every profile is 404)."""


def open_store(settings: ProfilesSettings, data_dir: Path) -> ProfileStore:
    """The configured backend (not opened: readers need no `open`)."""
    url = settings.url or ""
    if url.startswith(("postgresql://", "postgres://")):
        from eventyard.profiles.store_postgres import PostgresProfileStore

        return PostgresProfileStore(url)
    from eventyard.profiles.store_sqlite import SQLiteProfileStore

    return SQLiteProfileStore(store_path(settings, data_dir))


def store_path(settings: ProfilesSettings, data_dir: Path) -> Path:
    """`profiles.url` (a path or sqlite:///path), else `<data-dir>/profiles.db`."""
    url = settings.url
    if url is None:
        return data_dir / "profiles.db"
    return Path(url.removeprefix("sqlite://")) if url.startswith("sqlite:///") else Path(url)


class ProfileStore(ABC):
    @abstractmethod
    def open(self) -> None:
        """Create the tables if needed (the writer's side)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def write(self, fn: Callable[[Sql], T]) -> T:
        """Run fn in ONE transaction: all of it commits, or none of it. Blocking: call it
        from a worker thread."""

    @abstractmethod
    def read(self, fn: Callable[[Sql], T]) -> T:
        """Run fn on a consistent snapshot (readers never wait for the writer). Raises
        ProfilesNotReady before the writer has created the store."""
