"""A fake of Slack incoming webhooks (https://api.slack.com/messaging/webhooks).

Built on WebhookReceiver. Checks what Slack checks and answers as Slack does, with
text/plain bodies:
- only registered webhook paths exist: an unknown one gets 403 `invalid_token`, a removed
  one 404 `no_service`;
- POST with `Content-Type: application/json` and a JSON object body, else 400
  `invalid_payload`;
- `text` (or `blocks`/`attachments`) is required, else 400 `no_text`;
- `channel`, when given, must be a known channel (404 `channel_not_found`) and not
  archived (410 `channel_is_archived`); a leading '#' is accepted;
- `rate_limit(n, retry_after)`: the next n posts get 429 `rate_limited` with Retry-After;
- success: 200 `ok`.
Scripted answers (`script`) apply only to requests that pass these checks.
"""

from __future__ import annotations

from typing import Any

import orjson

from fakes.common import json_body, media_type
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

__all__ = ["SlackWebhooks", "plain"]

HOOK_PATH = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"


def plain(status: int, text: str, headers: dict[str, str] | None = None) -> Answer:
    """An answer the way Slack's webhooks write them: a bare string, text/plain."""
    return Answer(status, {"content-type": "text/plain", **(headers or {})}, text.encode())


class SlackWebhooks(WebhookReceiver):
    """`async with SlackWebhooks() as slack:`; post to `slack.hook_url`."""

    def __init__(self) -> None:
        super().__init__()
        self.hooks = {HOOK_PATH}
        self.removed: set[str] = set()
        self.channels = {"general", "alerts"}
        self.archived: set[str] = set()
        self._limited: list[float] = []
        self._answer = plain(200, "ok")
        self.on_request = self._check

    @property
    def endpoint(self) -> str:
        return self.base_url

    @property
    def hook_url(self) -> str:
        return self.endpoint + HOOK_PATH

    def rate_limit(self, count: int = 1, retry_after: float = 1) -> None:
        self._limited = [retry_after] * count

    def messages(self) -> list[dict[str, Any]]:
        """The JSON object bodies posted to any webhook path, accepted or not."""
        return [orjson.loads(r.body) for r in self.requests if r.body.startswith(b"{")]

    def _check(self, request: Received) -> Answer | None:
        if request.path in self.removed:
            return plain(404, "no_service")
        if request.path not in self.hooks:
            return plain(403, "invalid_token")
        if request.method != "POST":
            return plain(405, "invalid_payload")
        body = json_body(request)
        if media_type(request) != "application/json" or not isinstance(body, dict):
            return plain(400, "invalid_payload")
        if not any(body.get(key) for key in ("text", "blocks", "attachments")):
            return plain(400, "no_text")
        channel = body.get("channel")
        if channel is not None:
            name = str(channel).removeprefix("#")
            if name in self.archived:
                return plain(410, "channel_is_archived")
            if name not in self.channels:
                return plain(404, "channel_not_found")
        if self._limited:
            wait = self._limited.pop(0)
            return plain(429, "rate_limited", {"retry-after": f"{wait:g}"})
        return None
