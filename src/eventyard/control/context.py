"""`ServerContext`: everything an HTTP handler (admin API or UI page) may use, in one value.

Built once by `eventyard.server` and passed to the route builders, so handlers never reach
for globals and tests can build one from real parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eventyard.control.config import Config
from eventyard.control.plane import ControlPlane
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.log.base import EventLog
from eventyard.storage.replay import ReplayService

if TYPE_CHECKING:  # api.py builds routes from a ServerContext: import only for typing
    from eventyard.control.api import StorageStatus

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

    @property
    def config(self) -> Config:
        """The running configuration (replaced whole on every change: read it per use)."""
        return self.plane.live.current
