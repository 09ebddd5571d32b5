"""`postToChannel`: post a message through a Slack incoming webhook."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import ActionDefinition
from eventyard.destinations.slack.settings import SlackSettings
from eventyard.errors import DeliveryError, TerminalError, TransientError
from eventyard.mapping.fields import FieldSpec

__all__ = ["ADVICE", "perform", "post_to_channel"]

FIELDS = {
    "url": FieldSpec(
        "Webhook URL",
        "password",
        required=True,
        format="uri",
        description="The incoming webhook URL Slack gave you (it is the credential).",
    ),
    "text": FieldSpec(
        "Message",
        "text",
        required=True,
        default={
            "@if": {
                "exists": {"@path": "$.userId"},
                "then": {"@template": "{{event}} by {{userId}}"},
                "else": {"@template": "{{event}} by anonymous user {{anonymousId}}"},
            }
        },
        description="The message; Slack's mrkdwn formatting works "
        "(https://api.slack.com/reference/surfaces/formatting).",
    ),
    "channel": FieldSpec(
        "Channel",
        "string",
        description="Channel to post to, without '#'. Only legacy webhooks honour it; "
        "app webhooks always post to the channel they were created for.",
    ),
    "username": FieldSpec(
        "User", "string", default="Segment", description="The sender of the message."
    ),
    "icon_url": FieldSpec(
        "Icon URL",
        "string",
        default="https://logo.clearbit.com/segment.com",
        description="Image shown next to the sender.",
    ),
}

ADVICE = {
    "invalid_payload": "Slack could not read the message; check the text and channel mappings",
    "no_text": "the message is empty; map `text` to a value every event has",
    "user_not_found": "the user named in the message does not exist in the workspace",
    "channel_not_found": "the channel does not exist or the webhook cannot post there; "
    "fix or remove the `channel` mapping",
    "channel_is_archived": "the channel is archived; unarchive it or use another webhook",
    "action_prohibited": "a workspace admin restricts this webhook from posting here",
    "posting_to_general_channel_denied": "only admins may post to this channel",
    "invalid_token": "the webhook URL is no longer valid; create a new incoming webhook",
    "no_service": "the webhook was disabled or removed; create a new incoming webhook",
    "no_team": "the workspace was not found; create a new incoming webhook",
}
"""What to do about each error string Slack documents for incoming webhooks."""


def _check_url(settings: SlackSettings, url: str) -> None:
    given, allowed = urlsplit(url), urlsplit(settings.endpoint)
    same_host = (given.scheme, given.netloc.lower()) == (allowed.scheme, allowed.netloc.lower())
    if not same_host or not given.path.strip("/"):
        # Never echo the URL: its path is the secret.
        raise TerminalError(
            f"Invalid Slack URL: the `url` field must be an incoming webhook URL on "
            f"{settings.endpoint} (https://api.slack.com/messaging/webhooks)"
        )


def _slack_error(response: httpx.Response) -> DeliveryError:
    """Restate a failure without the URL (whose path is the secret), with advice."""
    try:
        raise_for_status(response)
    except DeliveryError as error:
        code = response.text.strip()[:100]
        advice = ADVICE.get(code)
        message = f"Slack answered HTTP {response.status_code} {code or '(empty body)'}"
        if advice:
            message += f": {advice}"
        status = response.status_code
        if isinstance(error, TransientError):
            return TransientError(message, error.retry_after, status=status)
        return TerminalError(message, status=status)
    raise AssertionError("only called for a non-2xx response")


async def perform(
    client: httpx.AsyncClient, settings: SlackSettings, payload: dict[str, Any]
) -> None:
    _check_url(settings, payload["url"])
    body = {
        key: payload[key] for key in ("channel", "text", "username", "icon_url") if key in payload
    }
    response = await client.post(payload["url"], json=body)
    if not 200 <= response.status_code < 300:
        raise _slack_error(response)


post_to_channel = ActionDefinition(
    title="Post Message",
    description="Post a message to a Slack channel when the trigger matches.",
    fields=FIELDS,
    default_subscription='type = "track"',
    perform=perform,
)
