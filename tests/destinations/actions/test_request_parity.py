"""Through the real server, 30 of Segment's most used destinations send the requests
Segment's own code sends for the same events.

Segment's spec example events go from the real analytics-python client to `eventyard serve`,
where every destination below runs its presets (destinations without presets: every action
with a default subscription, on its default mapping). The runner's requests are sent by the
server to a local capture server (`EVENTYARD_ACTIONS_INTERCEPT`, original URL kept). A
native webhook gets each event as eventyard delivered it; actions-core's
`createTestIntegration` then runs the same mappings on those events in Node
(segment_requests.cjs) with fetch answered the same way. Method, URL, JSON/form body and
every header Segment's code sets must be equal.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from segment.analytics.client import Client

from e2e.conftest import wait_until
from e2e.server_process import ServerProcess
from eventyard.destinations.actions.catalog import ActionsCatalog, _automatic_presets
from eventyard.destinations.actions.runner import INTERCEPT_ENV, ORIGINAL_URL_HEADER
from eventyard.ops.node_parts import node_parts
from fakes.webhook_receiver import Received, WebhookReceiver

WRITE_KEY = "wk_parity"
SCRIPT = Path(__file__).with_name("segment_requests.cjs")

COMPARED = [
    "amplitude",
    "mixpanel",
    "hubspot",
    "braze",
    "customerio",
    "intercom",
    "iterable",
    "klaviyo",
    "salesforce",
    "sendgrid",
    "google-analytics-4",
    "google-sheets",
    "linkedin-conversions",
    "ms-bing-capi",
    "facebook-conversions-api",
    "tiktok-conversions",
    "snap-conversions-api",
    "pinterest-conversions",
    "reddit-conversions-api",
    "posthog",
    "heap",
    "june",
    "attio",
    "launchdarkly",
    "optimizely-feature-experimentation-actions",
    "webhook",
    "slack",
    "segment",
]
NOT_COMPARED = {
    "s3": "opens its own sockets (AWS SDK); the runner refuses them by design",
    "kafka": "opens its own sockets (kafkajs); the runner refuses them by design",
}
NO_REQUEST = {
    "linkedin-conversions": "the conversion rule comes from the action's mapping-save hook, "
    "which eventyard does not run: Segment's code refuses the event, so does eventyard's",
    "segment": "Segment's own code makes no HTTP request (Segment delivers it internally)",
}
"""Configured and run like the others, but neither side sends a request."""
MAPPING: dict[str, dict[str, Any]] = {
    "webhook": {"url": "https://hooks.example.com/segment"},
    "slack": {"url": "https://hooks.slack.com/services/T0/B0/x", "text": "{{event}}"},
    "google-sheets": {
        "spreadsheet_id": "sheet-1",
        "spreadsheet_name": "Sheet1",
        "record_identifier": {"@path": "$.userId"},
        "operation_type": "new",  # a Reverse ETL row's `event`; an identify adds a row
        "fields": {"email": {"@path": "$.traits.email"}, "name": {"@path": "$.traits.name"}},
    },
    "salesforce": {"operation": "create"},
    "sendgrid": {"list_ids": ["list-1"]},
    "facebook-conversions-api": {"action_source": "website"},
    "intercom": {"role": "user"},
    "klaviyo": {"profile": {"email": {"@path": "$.context.traits.email"}}},
    "segment": {
        "user_id": {"@path": "$.userId"},
        "anonymous_id": {"@path": "$.anonymousId"},
        "event_name": {"@path": "$.event"},
        "group_id": {"@path": "$.groupId"},
        "page_name": {"@path": "$.name"},
        "screen_name": {"@path": "$.name"},
        "properties": {"@path": "$.properties"},
        "traits": {"@path": "$.traits"},
    },
}
"""Values for required fields without a default (what a user types), on both sides."""
SUBSCRIBE = {
    "webhook": {"send": 'type = "track"'},
    "slack": {"postToChannel": 'type = "track"'},
    "google-sheets": {"postSheet": 'type = "identify"', "postSheet2": 'type = "identify"'},
    "sendgrid": {"updateUserProfile": 'type = "identify"'},
}
"""Subscriptions for actions that have no default one (what a user writes)."""
OAUTH = {
    "access_token": "fake-access",
    "refresh_token": "fake-refresh",
    "client_id": "fake-client",
    "client_secret": "fake-secret",
}
SETTINGS: dict[str, dict[str, Any]] = {
    "salesforce": {"instanceUrl": "https://example.my.salesforce.com"},
    "optimizely-feature-experimentation-actions": {
        "dataFileUrl": "https://cdn.optimizely.com/datafiles/key.json"
    },
    "google-analytics-4": {"measurementId": "G-TEST123"},
    "snap-conversions-api": {"pixel_id": "pixel-1"},
}

CONTEXT = {
    "ip": "8.8.8.8",
    "locale": "en-US",
    "timezone": "Europe/Amsterdam",
    "page": {
        "path": "/academy/",
        "title": "Analytics Academy",
        "url": "https://segment.com/academy/",
    },
    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46",
    "traits": {"email": "peter@example.com"},
    "app": {"name": "InitechGlobal", "version": "545", "build": "3.0.1.545"},
}
PRODUCTS = [
    {"product_id": "507f1f77", "sku": "G-32", "name": "Monopoly", "price": 18.99, "quantity": 1}
]


def send_spec_events(server: ServerProcess) -> int:
    """Segment's spec examples, with the real client; how many were sent."""
    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    common: dict[str, Any] = {"context": CONTEXT, "anonymous_id": "anon-507f"}
    calls = [
        client.track(
            "user-97980cfea0067",
            "Order Completed",
            {
                "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
                "order_id": "50314b8e",
                "total": 27.5,
                "revenue": 25.0,
                "shipping": 3.0,
                "tax": 2.0,
                "currency": "USD",
                "products": PRODUCTS,
            },
            **common,
        ),
        client.track("user-97980cfea0067", "Signed Up", {"plan": "Pro Annual"}, **common),
        client.identify(
            "user-97980cfea0067",
            {
                "email": "peter@example.com",
                "name": "Peter Gibbons",
                "first_name": "Peter",
                "last_name": "Gibbons",
                "phone": "+14155550100",
            },
            **common,
        ),
        client.page("user-97980cfea0067", "Docs", "Pricing", {"title": "Pricing"}, **common),
        client.screen("user-97980cfea0067", "App", "Home", **common),
        client.group(
            "user-97980cfea0067",
            "g-0e8c78ea",
            {"name": "Initech", "website": "https://initech.com", "domain": "initech.com"},
            **common,
        ),
    ]
    assert all(ok for ok, _ in calls)
    return len(calls)


def fake_settings(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Values for a destination's required settings (defaults where it has them)."""
    settings: dict[str, Any] = {}
    for key, spec in entry["settings"].items():
        if spec.get("default") is not None:
            settings[key] = spec["default"]
        elif spec["required"]:
            choices = spec.get("choices") or [{"value": f"test-{key}"}]
            settings[key] = {"boolean": False, "number": 1, "integer": 1}.get(
                spec["type"], choices[0]["value"]
            )
    if entry["scheme"] in ("oauth2", "oauth-managed"):
        settings |= OAUTH
    return settings | SETTINGS.get(entry["slug"], {})


def presets(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The automatic presets eventyard enables, by action key."""
    first, more = _automatic_presets(entry["presets"], entry["actions"])
    return {**first, **more}


def cases(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What runs for a destination named without `actions:`: its presets; without any,
    every action that has a default subscription, on its default mapping."""
    chosen = presets(entry)
    if not chosen:
        written = SUBSCRIBE.get(entry["slug"], {})
        chosen = {
            key: {"partnerAction": key, "subscribe": subscribe, "mapping": {}}
            for key, action in entry["actions"].items()
            if (subscribe := written.get(key) or action["defaultSubscription"])
        }
    found = []
    for key, preset in chosen.items():
        action = entry["actions"][preset["partnerAction"]]
        defaults = {k: f["default"] for k, f in action["fields"].items() if "default" in f}
        extra = {k: v for k, v in MAPPING.get(entry["slug"], {}).items() if k in action["fields"]}
        found.append(
            {
                "slug": entry["slug"],
                "preset": key,
                "action": preset["partnerAction"],
                "subscribe": preset["subscribe"],
                "mapping": {**defaults, **preset["mapping"], **extra},
                "extra": extra,
                "settings": fake_settings(entry),
                "auth": {
                    "accessToken": OAUTH["access_token"],
                    "refreshToken": OAUTH["refresh_token"],
                    "clientId": OAUTH["client_id"],
                    "clientSecret": OAUTH["client_secret"],
                },
            }
        )
    return found


def config(receiver: WebhookReceiver, entries: Mapping[str, Any]) -> dict[str, Any]:
    """A native webhook that gets each event as delivered, and every compared destination."""
    destinations: list[dict[str, Any]] = [
        {"name": "delivered", "type": "webhook", "settings": {"url": receiver.base_url + "/raw"}}
    ]
    for slug in COMPARED:
        own = cases(entries[slug])
        destination: dict[str, Any] = {"name": f"p-{slug}", "type": f"actions/{slug}"}
        destination["settings"] = fake_settings(entries[slug])
        if not presets(entries[slug]):
            destination["actions"] = {
                c["preset"]: {"subscription": c["subscribe"], "mapping": c["extra"]} for c in own
            }
        destinations.append(destination)
    common = {"sources": ["web"], "delivery": {"backoff_initial": "10m", "backoff_max": "10m"}}
    return {
        "sources": [{"name": "web", "write_key": WRITE_KEY}],
        "destinations": [d | common for d in destinations],
    }


def segment_requests(node_parts_dir: Path, given: dict[str, Any]) -> list[dict[str, Any]]:
    """What actions-core's createTestIntegration sends for these cases and events."""
    parts = node_parts(node_parts_dir)
    done = subprocess.run(
        [str(parts.node), str(SCRIPT)],
        env={"NODE_PATH": str(parts.modules.resolve())},
        input=json.dumps(given).encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def canonical(method: str, url: str, headers: dict[str, str], body: str) -> str:
    """A request as compared: method, URL, headers Segment's code set, parsed body."""
    kind = headers.get("content-type", "")
    parsed: Any = body
    if "json" in kind and body:
        parsed = json.loads(body)
    elif "x-www-form-urlencoded" in kind:
        parsed = sorted(parse_qsl(body, keep_blank_values=True))
    return json.dumps([method, url, sorted(headers.items()), parsed], sort_keys=True)


def ours(request: Received, names: set[str]) -> str:
    """A captured request of the runner, with only the headers Segment's code also set."""
    headers = {k: v for k, v in request.headers.items() if k in names}
    url = request.headers[ORIGINAL_URL_HEADER]
    return canonical(request.method, url, headers, request.body.decode())


def theirs(request: dict[str, Any]) -> str:
    """A request of Segment's code, with the `accept: */*` node-fetch adds when it sends."""
    headers = {"accept": "*/*"} | request["headers"]
    return canonical(request["method"], request["url"], headers, request["body"])


async def quiet(receiver: WebhookReceiver, expected: int, still: float = 1.5) -> None:
    """Wait until `expected` requests came and none for `still` seconds (one too many
    would arrive then), or until none came for 20 s (the comparison says what is missing)."""
    seen, since = -1, 0.0
    loop = asyncio.get_running_loop()
    while True:
        if len(receiver.requests) != seen:
            seen, since = len(receiver.requests), loop.time()
        idle = loop.time() - since
        if idle > (still if seen >= expected else 20.0):
            return
        await asyncio.sleep(0.1)


async def test_top_destinations_send_what_segments_own_code_sends(
    node_parts_dir: Path,
    actions_catalog: ActionsCatalog,
    data_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    entries = {entry["slug"]: entry for entry in actions_catalog.entries.values()}
    assert set(COMPARED) | set(NOT_COMPARED) <= set(entries)
    assert len(COMPARED) + len(NOT_COMPARED) == 30
    receiver.respond(200, {"content-type": "application/json"}, b"{}")
    path = data_dir.parent / f"{data_dir.name}.yaml"
    path.write_text(json.dumps(config(receiver, entries), ensure_ascii=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(INTERCEPT_ENV, receiver.base_url + "/intercepted")
        server = await asyncio.to_thread(ServerProcess(path, data_dir).start)
    try:
        count = await asyncio.to_thread(send_spec_events, server)
        await wait_until(
            lambda: len([r for r in receiver.requests if r.path == "/raw"]) >= count,
            30,
            "every event at the native webhook",
        )
        events = [json.loads(r.body) for r in receiver.requests if r.path == "/raw"]
        all_cases = [c for slug in COMPARED for c in cases(entries[slug])]
        reference = segment_requests(node_parts_dir, {"events": events, "cases": all_cases})
        expected = [r for result in reference for r in result["requests"]]
        await quiet(receiver, len(expected) + count)
    finally:
        await asyncio.to_thread(server.stop)
    names = {"accept"} | {k for r in expected for k in r["headers"]}
    got = Counter(ours(r, names) for r in receiver.requests if r.path == "/intercepted")
    want = Counter(theirs(r) for r in expected)
    missing, extra = want - got, got - want
    report = {
        "missing": [
            [res["slug"], res["preset"], theirs(r)]
            for res in reference
            for r in res["requests"]
            if theirs(r) in missing
        ],
        "extra": list(extra),
    }
    assert not missing and not extra, json.dumps(report, indent=1)
    compared = {res["slug"] for res in reference if res["requests"]}
    errors = {(res["slug"], res["error"]) for res in reference if res["slug"] not in compared}
    assert compared == set(COMPARED) - set(NO_REQUEST), errors
