"""The debugger's violation marks: each listed event of a source that has a tracking plan is
checked against the running plan with the router's own compiled checks, so a row says what
the plan makes of it. The log keeps events as they arrived, so the check sees what the
router saw; it uses the plan as it is now (an event sent before a plan change is judged by
the new plan).
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.protocols.compile import Protocols, compile_protocols
from eventyard.protocols.violations import Violation

__all__ = ["MAX_MARKS", "PlanMarks"]

MAX_MARKS = 10
"""Violations shown per event; the row says how many there were in all."""


class PlanMarks:
    """The running configuration's compiled plans, compiled again only when it changes."""

    def __init__(self, ctx: ServerContext) -> None:
        self._ctx = ctx
        self._config: Config | None = None
        self._protocols = Protocols({})

    def _current(self) -> Protocols:
        config = self._ctx.config
        if config is not self._config:
            self._protocols = compile_protocols(config)
            self._config = config
        return self._protocols

    def of(self, source: str, events: list[tuple[str, bytes]]) -> dict[str, list[Violation]]:
        """Violations by messageId of the `(messageId, payload)` pairs that break the plan of
        `source` (empty when the source has no plan)."""
        protocols = self._current()
        if source not in protocols.sources:
            return {}
        found: dict[str, list[Violation]] = {}
        for message_id, payload in events:
            try:
                event: Any = orjson.loads(payload)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(event, dict):
                continue
            screened = protocols.screen(source, event)
            verdict = screened.verdict if screened is not None else None
            if verdict is not None and verdict.violations:
                found[message_id] = verdict.violations
        return found
