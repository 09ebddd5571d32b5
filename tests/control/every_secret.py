"""One destination of every installed type that holds a secret, each secret set to a marker:
the fixture of the tests that prove secrets stay secret (locations, logs, masking).

`destination_doc(slug, name, source, target)` is an eventyard.yaml entry whose every
location (see `eventyard.destinations.base.location_fields`) that takes a URL points at
`target`, so that nothing leaves 127.0.0.1 in a test.
"""

from __future__ import annotations

from typing import Any

from eventyard.control.documents import get_at, secret_leaves
from eventyard.control.store_validate import secret_roots
from eventyard.destinations.base import location_fields, secret_mapping_fields
from eventyard.destinations.registry import get_definition, type_names

__all__ = ["MARKER", "destination_doc", "marked", "secret_types", "url_locations"]

MARKER = "mk-7f3e9a1c5b2d4e6f"
"""Every secret contains it; no answer, log line or export may."""

_SETTINGS: dict[str, dict[str, Any]] = {
    "amplitude": {"api_key": f"{MARKER}-a", "secret_key": f"{MARKER}-b"},
    "google-ads": {
        "customer_id": "123-456-7890",
        "developer_token": f"{MARKER}-a",
        "client_id": "client.apps.googleusercontent.com",
        "client_secret": f"{MARKER}-b",
        "refresh_token": f"{MARKER}-c",
        "conversion_actions": {"purchase": "111"},
    },
    "google-analytics-4": {"api_secret": MARKER, "measurement_id": "G-ABC123"},
    "http_request": {"headers": {"Authorization": f"Bearer {MARKER}"}},
    "meta-conversions-api": {"pixel_id": "123", "access_token": MARKER},
    "mixpanel": {"project_token": f"{MARKER}-a", "api_secret": f"{MARKER}-b"},
    "pinterest-conversions-api": {"ad_account_id": "123", "conversion_token": MARKER},
    "posthog": {"api_key": MARKER},
    "reddit-conversions-api": {"conversion_token": MARKER, "pixel_id": "t2_abc"},
    "segment": {"write_key": MARKER},
    "slack": {},
    "snapchat-conversions-api": {"pixel_id": "abc-123", "access_token": MARKER},
    "tiktok-events-api": {"access_token": MARKER, "event_source_id": "ABC123"},
    "webhook": {
        "url": "http://127.0.0.1:9/in",
        "shared_secret": MARKER,
        "headers": {"Authorization": f"Bearer {MARKER}", "X-Team": f"{MARKER}-t"},
    },
}
"""Settings of each type; the secrets in actions (Slack's url) are added by
`destination_doc`."""


def url_locations(slug: str) -> list[tuple[str | int, ...]]:
    """The type's locations that take a URL (not a region name such as Amplitude's
    `endpoint`)."""
    return [
        path
        for path, default in location_fields(get_definition(slug)).items()
        if default is None or str(default).startswith("http")
    ]


def destination_doc(slug: str, name: str, source: str, target: str) -> dict[str, Any]:
    """A destination of type `slug` with marker secrets, sending to `target`."""
    doc: dict[str, Any] = {
        "name": name,
        "type": slug,
        "sources": [source],
        "settings": dict(_SETTINGS[slug]),
    }
    for path in url_locations(slug):
        if path[0] == "settings":
            doc["settings"][path[1]] = target
        else:  # an action's url: a secret when it is a password field (Slack's webhook)
            action = get_definition(slug).actions[str(path[1])]
            secret = "url" in secret_mapping_fields(action)
            url = f"{target}/services/{MARKER}" if secret else f"{target}/in"
            doc.setdefault("actions", {})[path[1]] = {"mapping": {"url": url}}
    return doc


def marked(doc: dict[str, Any]) -> list[str]:
    """The dotted paths of the document's secrets (they all hold the marker)."""
    found = []
    for path in secret_leaves(doc, secret_roots("destination", doc)):
        assert MARKER in get_at(doc, path), path
        found.append(".".join(str(step) for step in path))
    return found


def secret_types() -> list[str]:
    """Every installed type with a secret; a new one must be added to `_SETTINGS`."""
    slugs = [slug for slug in type_names() if secret_roots("destination", {"type": slug})]
    missing = sorted(set(slugs) - set(_SETTINGS))
    assert not missing, f"add settings for {missing} to tests/control/every_secret.py"
    return slugs
