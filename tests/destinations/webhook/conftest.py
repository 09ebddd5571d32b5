"""The webhook tests reuse the delivery fixtures (state, receiver, client)."""

from __future__ import annotations

from delivery.conftest import client, receiver, state

__all__ = ["client", "receiver", "state"]
