"""The event as a destination's actions get it: after the consent and conversions stage.

An ad destination's default mappings read `context.eventyard.conversion`, which that stage
adds, and the stage may keep an event away entirely (consent, not a conversion it sends). A
preview runs the same stage without state (as replays do: no remembered click IDs, no
cross-route dedup), so it shows what delivery would build, or why nothing would be sent.
"""

from __future__ import annotations

import time
from typing import Any

from eventyard.control.config import Config
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError
from eventyard.log.base import LogRecord
from eventyard.pipeline.consent import Refused
from eventyard.pipeline.conversions import ConversionStage, compile_rules

__all__ = ["routed_event"]


def routed_event(
    config: Config, destination: str, event: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """(the event the destination's plan sees, or None; why it sees none)."""
    dest = next((d for d in config.destinations if d.name == destination), None)
    if dest is None:
        return event, None
    try:
        rules = compile_rules(dest, get_definition(dest.type), config.conversions)
    except ConfigError:
        return event, None
    if rules.open:
        return event, None
    now = time.time()
    record = LogRecord(0, 0, "", "", str(event.get("messageId", "")), b"", now)
    verdict = ConversionStage(None, now).event(record, event).admit(dest.name, rules)
    if isinstance(verdict, Refused):
        return None, f"{verdict.reason}: {verdict.detail}"
    return verdict.event, None
