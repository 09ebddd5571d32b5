"""`ServerContext`: everything an HTTP handler (admin API or UI page) may use, in one value.

Built once by `eventyard.server` and passed to the route builders, so handlers never reach
for globals and tests can build one from real parts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from eventyard.control.config import Config
from eventyard.control.logins import LoginGuard
from eventyard.control.plane import ControlPlane
from eventyard.control.storage_status import StorageStatus
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.ingest.rate_limit import SourceLimits
from eventyard.log.base import EventLog
from eventyard.storage.replay import ReplayService

__all__ = ["ServerContext"]


@dataclass(frozen=True, slots=True)
class ServerContext:
    plane: ControlPlane
    log: EventLog
    state: StateStore
    delivery: DeliveryService
    storage: StorageStatus
    replays: ReplayService
    data_dir: Path
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server begins to shut down: long-lived responses (the live debugger's
    streams) end at once instead of holding the graceful shutdown up."""
    limits: SourceLimits = field(default_factory=SourceLimits)
    """The tracking API's per-source rate limits; their refusals show in status and metrics."""
    logins: LoginGuard = field(default_factory=LoginGuard)
    """Failed sign-ins per address and account (429 beyond the limit), and their counters."""

    @property
    def config(self) -> Config:
        """The running configuration (replaced whole on every change: read it per use)."""
        return self.plane.live.current
