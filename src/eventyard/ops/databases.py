"""The databases a configuration uses, where they are: shared by `doctor` and `backup`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eventyard.control.config import Config
from eventyard.profiles.store import store_path

__all__ = ["Database", "databases"]


@dataclass(frozen=True, slots=True)
class Database:
    """One database: an SQLite file (`path`) or a PostgreSQL server (`url`)."""

    name: str
    path: Path | None = None
    url: str | None = None


def _sqlite_or_url(name: str, url: str | None, default: Path) -> Database:
    if url is None:
        return Database(name, path=default)
    if url.startswith(("postgresql://", "postgres://")):
        return Database(name, url=url)
    return Database(name, path=Path(url.removeprefix("sqlite:///")))


def databases(config: Config, data_dir: Path) -> list[Database]:
    """In the order a backup copies them: what records progress through the log before the
    log (a consumer's offset must not pass the copied log's end), the rest after it."""
    found = []
    if config.profiles.enabled:
        if config.profiles.url and config.profiles.url.startswith(("postgresql:", "postgres:")):
            found.append(Database("profiles", url=config.profiles.url))
        else:
            found.append(Database("profiles", path=store_path(config.profiles, data_dir)))
    found.append(_sqlite_or_url("log", config.log.url, data_dir / "log.db"))
    found.append(Database("state", path=data_dir / "state.db"))
    found += [
        Database(f"warehouse {warehouse.name}", url=warehouse.url)
        for warehouse in config.warehouses
        if warehouse.type == "postgres" and warehouse.url
    ]
    return found
