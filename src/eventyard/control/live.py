"""The running configuration, replaced whole whenever the control plane changes it.

Components keep a reference to one `LiveConfig` and read `current` where they need it (the
router per batch, the tracking API per request), or `subscribe` to rebuild what they derive
from it (the delivery workers). A `Config` is never mutated in place: readers that took the
old one finish their work with a consistent view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from eventyard.control.config import Config

__all__ = ["LiveConfig"]

log = logging.getLogger(__name__)


class LiveConfig:
    def __init__(self, config: Config) -> None:
        self.current = config
        self.version = 0
        self._listeners: list[Callable[[Config], None]] = []

    def publish(self, config: Config) -> None:
        """Make `config` current and tell every listener; a failing listener is logged, not
        allowed to stop the others from seeing the change."""
        self.current = config
        self.version += 1
        for listener in self._listeners:
            try:
                listener(config)
            except Exception:
                log.exception("a configuration listener failed")

    def subscribe(self, listener: Callable[[Config], None]) -> None:
        self._listeners.append(listener)
