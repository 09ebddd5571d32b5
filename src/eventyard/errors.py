"""The exception tree: every failure says what the runtime should do next.

EventyardError
 +-- ConfigError            the configuration file is wrong; the message names key and line
 +-- IngestError            a request or message is rejected (carries the wire code)
 |    +-- PayloadTooLarge
 +-- LogError               the event log cannot be opened or written
 +-- DeliveryError          a destination call failed
      +-- TransientError    retry later (timeouts, 408, 429, 5xx); may carry retry_after
      +-- TerminalError     give up and dead-letter (other 4xx, bad payloads)

Both delivery errors may carry the HTTP `status` that decided them (for traces and metrics).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeliveryError",
    "EventyardError",
    "IngestError",
    "LogError",
    "PayloadTooLarge",
    "TerminalError",
    "TransientError",
]


class EventyardError(Exception):
    """Root of every error eventyard raises on purpose."""


class ConfigError(EventyardError):
    """The configuration is invalid; the message says which key, where, and how to fix it."""


class IngestError(EventyardError):
    """A tracking request or one message in it is rejected.

    `code` is the machine-readable reason sent to clients (Segment's `code` field).
    """

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PayloadTooLarge(IngestError):
    """A body or message is over Segment's documented size limits."""


class LogError(EventyardError):
    """The event log backend failed or cannot be reached."""


class DeliveryError(EventyardError):
    """A destination could not take an event."""


class TransientError(DeliveryError):
    """Worth retrying: the destination may accept the same request later."""

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class TerminalError(DeliveryError):
    """Retrying cannot help: the event goes to dead letters with this message."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
