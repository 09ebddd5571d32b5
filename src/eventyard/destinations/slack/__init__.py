"""Slack: post messages to a channel through incoming webhooks (Segment's "Slack (Actions)").

One action, `postToChannel` (as Segment ships it): `url` (the incoming webhook URL, which is
the credential), `text` (required; Slack mrkdwn), `channel`, `username` (default "Segment")
and `icon_url`. Each message is one POST of JSON; Slack answers 200 `ok` (text/plain), or a
plain-text error string: 400 `invalid_payload` / `no_text` / `user_not_found`, 403
`action_prohibited` / `invalid_token`, 404 `channel_not_found` / `no_service`, 410
`channel_is_archived`, 500 `rollup_error`, 429 `rate_limited` with Retry-After.

Limits: no batch endpoint (one message per request); about one message per second per
webhook, with short bursts allowed, then 429 with Retry-After (the engine honours it).

Ordered: a channel is a timeline people read, so one user's messages should appear in the
order the events happened; at Slack's rate limit, one request in flight per user costs little.

No test_connection: the webhook URL is a per-event field, not a setting, and Slack has no
check that does not post a message.

Sources: https://api.slack.com/messaging/webhooks (request, errors, rate limits),
https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks (status
codes and error strings), segmentio/action-destinations `destinations/slack/postToChannel`.
"""

from __future__ import annotations

from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.slack.post_to_channel import post_to_channel
from eventyard.destinations.slack.settings import SlackSettings

__all__ = ["SlackSettings", "definition"]

definition = DestinationDefinition(
    slug="slack",
    name="Slack",
    catalog_names=("Slack", "Slack (Actions)"),
    settings=SlackSettings,
    actions={"postToChannel": post_to_channel},
    ordered=True,
    consent_category=None,
    description="Post messages to Slack channels through incoming webhooks.",
    docs_url="https://segment.com/docs/connections/destinations/catalog/actions-slack/",
)
