"""Durable per-destination queues, retries with backoff, dead letters, delivery status."""

from __future__ import annotations

from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore

__all__ = ["DeadLetter", "DeliveryService", "DestinationStatus", "StateStore"]
