"""Test a destination the way eventyard's own tests do (public, for plugin authors too).

    from eventyard.testing import DestinationHarness, make_event

    harness = DestinationHarness(definition, {"api_key": "k", "url": fake.url})
    sent = await harness.perform("track", make_event(event="Order Completed"))

The harness runs the real engine steps for one action (subscription, default mapping with
overrides, empty-value removal, payload validation) and then the destination's own
`perform` / `perform_batch` against a real HTTP server (point the settings at a local fake
of the platform's API); it never mocks the HTTP layer.
"""

from __future__ import annotations

from eventyard.testing.events import make_event
from eventyard.testing.harness import DestinationHarness, NotSent

__all__ = ["DestinationHarness", "NotSent", "make_event"]
