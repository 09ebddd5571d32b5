"""Protocols: tracking plans (JSON Schema per event), violations, blocking, transformations,
Segment tracking-plan import/export and typed clients (`eventyard typegen`).

Everything here is pure: compiled once per configuration, applied per event without I/O.
The router's stage (`pipeline.protocols`) records violations and forwards blocked events;
the warehouse loader applies the same `Protocols.screen` to what it loads.
"""

from __future__ import annotations

from eventyard.protocols.compile import Protocols, compile_protocols
from eventyard.protocols.screen import Screened
from eventyard.protocols.violations import Violation

__all__ = ["Protocols", "Screened", "Violation", "compile_protocols"]
