"""Segment's documented size limits, in bytes and events.

Clients guard these themselves (analytics-python: 32 768 B per message, 475 000 B per
batch), so a message that passes its client's guard must never be refused here.
"""

from __future__ import annotations

__all__ = [
    "ENRICHMENT_ALLOWANCE",
    "MAX_BATCH_EVENTS",
    "MAX_BATCH_REQUEST_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_SINGLE_REQUEST_BYTES",
    "MAX_STORED_MESSAGE_BYTES",
]

MAX_MESSAGE_BYTES = 32 * 1024
"""One message as the client sent it."""

MAX_SINGLE_REQUEST_BYTES = 32 * 1024
"""A single-event request body (`/v1/track`, `/v1/t`, pixel data), after gunzip."""

MAX_BATCH_REQUEST_BYTES = 500 * 1024
"""A batch request body (`/v1/batch`, `/v1/import`, `/v1/b`), after gunzip."""

MAX_BATCH_EVENTS = 2500
"""Messages in one batch request."""

ENRICHMENT_ALLOWANCE = 1024
"""Room for the fields the server adds (receivedAt, timestamps, messageId, context.ip).

The per-message limit is checked on the stored JSON, which is serialised anyway, rather
than serialising every received message a second time just to measure it.
"""

MAX_STORED_MESSAGE_BYTES = MAX_MESSAGE_BYTES + ENRICHMENT_ALLOWANCE
"""The largest enriched message that is stored; larger ones are rejected."""
