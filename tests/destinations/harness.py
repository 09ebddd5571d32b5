"""Harness factories shared by the destination tests' conftest files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventyard.destinations.base import DestinationDefinition
from eventyard.testing import DestinationHarness

__all__ = ["Harness", "settings_harness"]

Harness = Callable[..., DestinationHarness]


def settings_harness(definition: DestinationDefinition, settings: dict[str, Any]) -> Harness:
    """`harness(**overrides)`: a harness with `settings`, each overridable (None drops one)."""

    def make(**overrides: Any) -> DestinationHarness:
        values = {**settings, **overrides}
        return DestinationHarness(definition, {k: v for k, v in values.items() if v is not None})

    return make
