"""A live fake of Slack's incoming webhooks per test."""

from __future__ import annotations

from fakes.common import fake_fixture
from fakes.slack import SlackWebhooks

slack = fake_fixture("slack", SlackWebhooks)
