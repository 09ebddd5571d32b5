"""The warehouse's view of Protocols: blocked events are not loaded, unplanned properties
are omitted where the plan says so, and transformations marked `warehouse: true` apply;
the same pure `Protocols.screen` the router runs. The raw archive keeps every event as
received.

The storage child has no control plane: `StoredProtocols` reads the tracking plans and
transformations from `<data-dir>/state.db` (read-only) and compiles them again only when
the configuration version there has changed, checked once per load.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from eventyard.control.config import Config, ConfigProblem
from eventyard.control.schema import config_version
from eventyard.control.store_protocols import runtime_protocols
from eventyard.errors import EventyardError
from eventyard.protocols.compile import Protocols, compile_protocols

__all__ = ["StoredProtocols"]

log = logging.getLogger(__name__)


class StoredProtocols:
    """`current()`: the compiled plans and transformations of the state db, or None."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._version: int | None = None
        self._protocols: Protocols | None = None

    def current(self) -> Protocols | None:
        """Never raises: an unreadable state keeps the last good view (None at first)."""
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error:
            return self._protocols
        try:
            version = config_version(conn)
            if version != self._version:
                plans, transformations = runtime_protocols(conn)
                config = Config(tracking_plans=plans, transformations=transformations)
                self._protocols = compile_protocols(config) if plans or transformations else None
                self._version = version
        except (sqlite3.Error, TypeError, EventyardError, ConfigProblem) as error:
            log.warning("warehouse: cannot read the tracking plans from %s: %s", self.path, error)
        finally:
            conn.close()
        return self._protocols
