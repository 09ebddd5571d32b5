"""Every installed destination type is a valid declaration, and the catalog shows it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eventyard.destinations.catalog import describe, summary
from eventyard.destinations.registry import get_definition, type_names
from eventyard.pipeline.actions import compile_action

BUILT_IN = {
    "amplitude",
    "http_request",
    "mixpanel",
    "posthog",
    "segment",
    "slack",
    "webhook",
    "meta-conversions-api",
    "google-analytics-4",
    "google-ads",
    "tiktok-events-api",
    "snapchat-conversions-api",
    "pinterest-conversions-api",
    "reddit-conversions-api",
}


def test_every_built_in_type_is_registered_through_the_entry_point_group() -> None:
    assert set(type_names()) >= BUILT_IN
    assert {row["type"] for row in summary()} >= BUILT_IN


@pytest.mark.parametrize("slug", sorted(BUILT_IN))
def test_default_subscriptions_and_mappings_compile(slug: str) -> None:
    definition = get_definition(slug)
    assert definition.actions, f"{slug} declares no action"
    for key, action in definition.actions.items():
        compiled = compile_action(key, action, where=f"{slug}.{key}")
        assert compiled.subscription.text == action.default_subscription
    described = describe(slug)
    assert set(described["actions"]) == set(definition.actions)
    assert described["name"] == definition.name


@pytest.mark.parametrize(
    ("slug", "secret"),
    [
        ("webhook", "shared_secret"),
        ("mixpanel", "project_token"),
        ("amplitude", "api_key"),
        ("posthog", "api_key"),
        ("segment", "write_key"),
        ("meta-conversions-api", "access_token"),
        ("google-analytics-4", "api_secret"),
        ("google-ads", "developer_token"),
        ("google-ads", "refresh_token"),
        ("tiktok-events-api", "access_token"),
        ("snapchat-conversions-api", "access_token"),
        ("pinterest-conversions-api", "conversion_token"),
        ("reddit-conversions-api", "conversion_token"),
    ],
)
def test_credentials_are_declared_secret(slug: str, secret: str) -> None:
    rows = {row["name"]: row for row in describe(slug)["settings"]}
    assert rows[secret]["type"] == "secret"


def test_the_cli_prints_the_reference_and_refuses_unknown_types() -> None:
    run = [sys.executable, "-m", "eventyard", "destinations"]
    shown = subprocess.run([*run, "webhook", "--json"], capture_output=True, text=True, check=True)
    data = json.loads(shown.stdout)
    assert data["actions"]["send"]["fields"]["data"]["default"] == {"@path": "$."}
    assert data["catalog_names"] == ["Webhooks", "Webhook", "Webhooks (Actions)"]
    shown = subprocess.run([*run, "mixpanel"], capture_output=True, text=True, check=True)
    assert "suggested consent category: Analytics" in shown.stdout
    assert "integrations keys (Segment catalog names): Mixpanel, Mixpanel (Actions)" in shown.stdout
    unknown = subprocess.run([*run, "nope"], capture_output=True, text=True, check=False)
    assert unknown.returncode == 2
    assert "unknown destination type 'nope'" in unknown.stdout
