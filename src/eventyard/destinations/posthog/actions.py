"""PostHog's actions: capture (track, page, screen), identify and group.

Field names and defaults follow Segment's PostHog (Actions) destination where it has them
(event_name, distinct_id, properties, current_url, screen_name, anonymous_event_capture,
timestamp); identify and group add the anonymous id merge and $groupidentify.
"""

from __future__ import annotations

from typing import Any

import httpx

from eventyard.destinations.base import ActionDefinition, BatchLimits, BatchResult
from eventyard.destinations.common import USER_OR_ANONYMOUS, batch_result, either, path, waiting
from eventyard.destinations.posthog import api
from eventyard.destinations.posthog.events import BUILDERS
from eventyard.destinations.posthog.settings import PostHogSettings
from eventyard.errors import DeliveryError
from eventyard.mapping.fields import FieldSpec

__all__ = ["ACTIONS", "BATCH_LIMITS"]

BATCH_LIMITS = BatchLimits(max_events=1000, max_wait=1.0, max_bytes=19_000_000)
"""PostHog sets no event count, only 20 MB per body; 1,000 keeps a retry small, and the
bytes leave room for the envelope (perform_batch also splits at 20 MB)."""


def _common_fields(distinct_id: Any) -> dict[str, FieldSpec]:
    return {
        "distinct_id": FieldSpec(
            "Distinct ID",
            "string",
            required=True,
            default=distinct_id,
            description="The PostHog person the event belongs to.",
        ),
        "timestamp": FieldSpec(
            "Timestamp", "datetime", default=path("$.timestamp"), description="When."
        ),
        "uuid": FieldSpec(
            "Event UUID",
            "string",
            default=path("$.messageId"),
            description="Sent as `uuid` when it is a UUID, so PostHog drops duplicates.",
        ),
        "ip": FieldSpec(
            "IP address",
            "string",
            default=path("$.context.ip"),
            description="Sent as `$ip` for GeoIP (else PostHog sees eventyard's address).",
        ),
    }


def _performers(key: str) -> tuple[Any, Any]:
    build = BUILDERS[key]

    async def perform(
        client: httpx.AsyncClient, settings: PostHogSettings, payload: dict[str, Any]
    ) -> None:
        await api.post_event(client, settings, build(payload))

    async def perform_batch(
        client: httpx.AsyncClient, settings: PostHogSettings, payloads: list[dict[str, Any]]
    ) -> BatchResult:
        results: list[DeliveryError | None] = [None] * len(payloads)
        ready: list[int] = []
        events: list[dict[str, Any]] = []
        for index, payload in enumerate(payloads):
            try:
                events.append(build(payload))
                ready.append(index)
            except DeliveryError as error:
                results[index] = error
        if events:
            outcomes = await api.post_batch(client, settings, events)
            for index, outcome in zip(ready, outcomes, strict=True):
                results[index] = outcome
        return batch_result(results)

    return perform, perform_batch


def _action(
    key: str, title: str, fields: dict[str, FieldSpec], subscription: str, about: str
) -> ActionDefinition:
    perform, perform_batch = _performers(key)
    return ActionDefinition(
        title=title,
        fields=fields,
        default_subscription=subscription,
        perform=perform,
        perform_batch=perform_batch,
        batch=waiting(BATCH_LIMITS),
        description=about,
    )


_CAPTURE = {
    "event_type": FieldSpec(
        "Event type",
        "string",
        required=True,
        default=path("$.type"),
        choices=("track", "page", "screen"),
        description="track keeps its name; page becomes $pageview, screen $screen.",
    ),
    "event_name": FieldSpec(
        "Event name",
        "string",
        default=path("$.event"),
        description="The PostHog event name for track events.",
    ),
    **_common_fields(USER_OR_ANONYMOUS),
    "properties": FieldSpec(
        "Properties", "object", default=path("$.properties"), description="Event data."
    ),
    "current_url": FieldSpec(
        "Current URL",
        "string",
        # server-side libraries put it in properties.url
        default=either("$.context.page.url", "$.properties.url"),
        description="Page URL, sent as $current_url on $pageview.",
    ),
    "screen_name": FieldSpec(
        "Screen name",
        "string",
        default=path("$.name"),
        description="Sent as $screen_name on $screen.",
    ),
    "anonymous_event_capture": FieldSpec(
        "Anonymous event capture",
        "boolean",
        default=False,
        description="true: capture without a person profile ($process_person_profile false).",
    ),
}

_IDENTIFY = {
    **_common_fields(USER_OR_ANONYMOUS),
    "anonymous_id": FieldSpec(
        "Anonymous ID",
        "string",
        default=path("$.anonymousId"),
        description="Sent as $anon_distinct_id, merging the anonymous person into the user.",
    ),
    "properties": FieldSpec(
        "Person properties",
        "object",
        default=path("$.traits"),
        description="Set on the person ($set).",
    ),
}

_GROUP = {
    **_common_fields(USER_OR_ANONYMOUS),
    "group_type": FieldSpec(
        "Group type",
        "string",
        required=True,
        default="company",
        description="PostHog group type (Segment groups have none; PostHog allows five).",
    ),
    "group_key": FieldSpec(
        "Group key",
        "string",
        required=True,
        default=path("$.groupId"),
        description="The group's id.",
    ),
    "properties": FieldSpec(
        "Group properties",
        "object",
        default=path("$.traits"),
        description="Set on the group ($group_set).",
    ),
}

ACTIONS = {
    "capture": _action(
        "capture",
        "Capture event",
        _CAPTURE,
        'type = "track" or type = "page" or type = "screen"',
        "Capture track calls by name, page calls as $pageview and screen calls as $screen.",
    ),
    "identify": _action(
        "identify",
        "Identify",
        _IDENTIFY,
        'type = "identify"',
        "Set person properties and link the anonymous id to the user ($identify).",
    ),
    "group": _action(
        "group",
        "Group identify",
        _GROUP,
        'type = "group"',
        "Create or update a group and its properties ($groupidentify).",
    ),
}
