"""PostHog: capture events, identify people and groups through PostHog's capture API.

API used (https://posthog.com/docs/api/capture):
- `POST {host}/i/v0/e/` one event: `api_key`, `event`, `distinct_id`, `properties`,
  `timestamp`, optional `uuid` (PostHog drops events whose uuid it has already seen).
- `POST {host}/batch/`: `api_key`, `historical_migration`, `batch` (a list of events); no
  limit on the count, but the whole body must be under 20 MB. All or nothing.
- `$pageview` / `$screen` events, `$identify` with `$set` and `$anon_distinct_id`,
  `$groupidentify` with `$group_type`, `$group_key`, `$group_set`.
- `POST {host}/flags/?v=2` (feature flags) checks the project API key for test_connection.
Hosts: US https://us.i.posthog.com, EU https://eu.i.posthog.com, or self-hosted.
Actions and defaults follow Segment's PostHog (Actions) destination, plus group.

Ordered: an $identify must reach PostHog before the same user's later events so that they
land on the merged person, so each user's events go one batch at a time, in order.
"""

from __future__ import annotations

from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.posthog.actions import ACTIONS, BATCH_LIMITS
from eventyard.destinations.posthog.api import test_connection
from eventyard.destinations.posthog.settings import EU_HOST, US_HOST, PostHogSettings

__all__ = ["BATCH_LIMITS", "EU_HOST", "US_HOST", "PostHogSettings", "definition"]

definition = DestinationDefinition(
    slug="posthog",
    name="PostHog",
    catalog_names=("PostHog", "Posthog"),
    settings=PostHogSettings,
    actions=ACTIONS,
    ordered=True,
    consent_category="Analytics",
    test_connection=test_connection,
    description="Product analytics: events, page and screen views, people and groups.",
    docs_url="https://posthog.com/docs/api/capture",
)
