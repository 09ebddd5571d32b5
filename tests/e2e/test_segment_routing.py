"""Segment's routing contract through a real `eventyard serve`, sent by the real Segment
Python client: the `integrations` object by catalog name, consent as Segment enforces it,
consent stored on the profile, and replays that keep each event's own integrations object.

Destinations: `mp` (Mixpanel, no consent category), `amp` (Amplitude, mapped to Analytics),
`hook` (a webhook mapped to Advertising and Functional) and `raw` (a webhook with no
category), the two webhooks on one receiver told apart by path.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pyarrow.parquet as pq
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from e2e.test_cli_trace import cli
from fakes.amplitude import AmplitudeFake
from fakes.mixpanel import MixpanelFake
from fakes.webhook_receiver import WebhookReceiver

SPACE = "spa_routing"
ACCESS = "routing-profile-token"
ALL = {"mp", "amp", "hook", "raw"}


def _config(mixpanel: MixpanelFake, amplitude: AmplitudeFake, receiver: WebhookReceiver) -> str:
    def settings(value: dict[str, Any]) -> str:
        return orjson.dumps(value).decode()

    mp = {"project_token": mixpanel.token, "api_secret": mixpanel.api_secret,
          "endpoint": mixpanel.url}  # fmt: skip
    amp = {"api_key": amplitude.api_key, "api_host": amplitude.url}
    delivery = "    delivery: {backoff_initial: 50ms, backoff_max: 500ms}\n"
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
archive:
  flush_every: 200ms
warehouses: []
profiles:
  space_id: {SPACE}
  access_token: {ACCESS}
destinations:
  - name: mp
    type: mixpanel
    sources: [web]
    settings: {settings(mp)}
{delivery}  - name: amp
    type: amplitude
    sources: [web]
    consent_categories: [Analytics]
    settings: {settings(amp)}
{delivery}  - name: hook
    type: webhook
    sources: [web]
    consent_categories: [Advertising, Functional]
    settings: {settings({"url": receiver.base_url + "/hook"})}
{delivery}  - name: raw
    type: webhook
    sources: [web]
    settings: {settings({"url": receiver.base_url + "/raw"})}
{delivery}"""


class World:
    """The fakes, the server, and what each destination received, by messageId."""

    def __init__(
        self,
        mixpanel: MixpanelFake,
        amplitude: AmplitudeFake,
        receiver: WebhookReceiver,
        server: ServerProcess,
    ) -> None:
        self.mixpanel, self.amplitude, self.receiver = mixpanel, amplitude, receiver
        self.server = server

    def received(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """Destination -> every (messageId, payload) it got, copies included, in order."""
        got: dict[str, list[tuple[str, dict[str, Any]]]] = {name: [] for name in ALL}
        for request in self.mixpanel.requests:
            if request.path.startswith("/import"):
                for event in orjson.loads(request.body):
                    got["mp"].append((event["properties"]["$insert_id"], event))
        for request in self.amplitude.requests:
            if request.path.startswith(("/2/httpapi", "/batch")):
                for event in orjson.loads(request.body)["events"]:
                    got["amp"].append((event["insert_id"], event))
        for request in self.receiver.requests:
            body = orjson.loads(request.body)
            for event in body if isinstance(body, list) else [body]:
                got[request.path.strip("/")].append((event["messageId"], event))
        return got

    def archived(self) -> bool:
        storage: Any = self.server.status()["storage"]
        return bool(storage["archive"]["lag"] == 0)

    def reached(self, message_id: str) -> set[str]:
        return {name for name, got in self.received().items() if message_id in dict(got)}

    async def steps(self, message_id: str) -> dict[str, list[tuple[str, str]]]:
        """Destination -> its (step, detail) trace for the event (the API `trace` reads)."""
        url = f"{self.server.url}/api/v1/trace/{message_id}"
        async with httpx.AsyncClient() as http:
            answer = await http.get(url, headers=self.server.headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, list[tuple[str, str]]] = {}
        for step in answer.json()["steps"]:
            found.setdefault(step["destination"], []).append((step["step"], step["detail"]))
        return found

    async def settle(self, expected: dict[str, set[str]]) -> None:
        """Wait until each event reached its expected destinations, then check the trace
        explains every destination it did not reach (so nothing is still on its way)."""
        try:
            await wait_until(
                lambda: all(self.reached(mid) >= names for mid, names in expected.items()),
                20,
                "every expected delivery",
            )
        except AssertionError:
            got = {mid: (sorted(self.reached(mid)), await self.steps(mid)) for mid in expected}
            raise AssertionError(f"expected {expected}, got {got}") from None
        for mid, names in expected.items():
            steps = await self.steps(mid)
            for name in ALL - names:
                assert steps[name][-1][0] in ("filtered", "consent"), (mid, name, steps[name])
            assert self.reached(mid) == names, mid


def _send(url: str, calls: list[dict[str, Any]]) -> list[str]:
    """Track calls through the real Segment client; their messageIds. Each call is from its
    own user: Mixpanel and Amplitude keep each user's order, one batch at a time."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ids = []
    for i, call in enumerate(calls):
        ok, message = client.track(
            call.get("user", f"user-{i:04d}"),
            call.get("event", "Order Completed"),
            {"revenue": 10},
            context=call.get("context", {}),
            integrations=call.get("integrations", {}),
        )
        assert ok
        ids.append(message["messageId"])
    return ids


async def _world(start_server: Callable[[str], ServerProcess], run: Any) -> None:
    async with MixpanelFake() as mixpanel, AmplitudeFake() as amplitude, WebhookReceiver() as hook:
        server = await asyncio.to_thread(start_server, _config(mixpanel, amplitude, hook))
        await run(World(mixpanel, amplitude, hook, server))


async def test_integrations_keys_by_catalog_name_instance_name_and_options(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async def run(world: World) -> None:
        session = {"session_id": 1_700_000_000_123}
        calls: list[dict[str, Any]] = [
            {"integrations": {"All": False, "Mixpanel": True}},
            {"integrations": {"Actions Amplitude": session, "Webhooks": False}},
            # the instance's own name wins over its type's key; Segment.io is Segment itself
            {"integrations": {"All": False, "Segment.io": True, "raw": True, "Webhooks": False}},
            {"integrations": {"mixpanel": False, "AMPLITUDE": False}},  # keys are case-sensitive
            {"integrations": {"Mixpanel (Actions)": False, "Amplitude": {"x": 1}}},
        ]
        ids = await asyncio.to_thread(_send, world.server.url, calls)
        await world.settle(
            {
                ids[0]: {"mp"},
                ids[1]: {"mp", "amp"},
                ids[2]: {"raw"},
                ids[3]: ALL,
                ids[4]: {"amp", "hook", "raw"},
            }
        )
        amp = dict(world.received()["amp"])
        assert amp[ids[1]]["session_id"] == 1_700_000_000_123  # the option reached the mapping
        raw = dict(world.received()["raw"])
        assert raw[ids[2]]["integrations"] == calls[2]["integrations"]

        steps = await world.steps(ids[0])
        assert steps["mp"][0][0] == "queued"
        assert steps["mp"][0][1].endswith('; integrations: "Mixpanel": true (catalog name)')
        assert steps["amp"] == [("filtered", 'integrations: "All": false')]
        steps = await world.steps(ids[2])
        assert steps["hook"] == [("filtered", 'integrations: "Webhooks": false (catalog name)')]
        assert steps["raw"][0][1].endswith('integrations: "raw": true (destination name)')
        shown = await cli("trace", ids[0], "--url", world.server.url, "--json")
        assert shown.returncode == 0, shown.stderr
        details = {s["destination"]: s["detail"] for s in json.loads(shown.stdout)["steps"]}
        assert details["amp"] == 'integrations: "All": false'

        # storage never reads the integrations object: "All": false is archived too
        await wait_until(world.archived, 15, "the archive to catch up")
        archived = pq.read_table(world.server.data_dir / "archive" / "source=web")
        assert set(ids) <= set(archived.column("messageId").to_pylist())

    await _world(start_server, run)


ANALYTICS_ADS = {"Analytics": True, "Advertising": True}


async def test_consent_as_segment_enforces_it_and_the_profile_keeps_it(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async def run(world: World) -> None:
        def prefs(categories: dict[str, Any]) -> dict[str, Any]:
            return {"consent": {"categoryPreferences": categories}}

        calls: list[dict[str, Any]] = [
            {},  # no consent object: every destination
            {"context": {"consent": {}}},  # an empty one: the same
            {"context": prefs({})},  # empty preferences: only the unmapped ones
            {"context": prefs(ANALYTICS_ADS)},  # Functional left out: refused for `hook`
            {"context": prefs({**ANALYTICS_ADS, "Functional": True})},  # all granted
            # the integrations object cannot override a refusal; names are case-sensitive
            {"context": prefs({"analytics": True}), "integrations": {"Actions Amplitude": True}},
            {"context": prefs({"Analytics": False}), "integrations": {"All": False, "amp": True}},
        ]
        ids = await asyncio.to_thread(_send, world.server.url, calls)
        unmapped = {"mp", "raw"}
        await world.settle(
            {
                ids[0]: ALL,
                ids[1]: ALL,
                ids[2]: unmapped,
                ids[3]: unmapped | {"amp"},
                ids[4]: ALL,
                ids[5]: unmapped,
                ids[6]: set(),
            }
        )
        steps = await world.steps(ids[3])
        assert steps["hook"] == [
            ("consent", "consent denied for Functional (context.consent; this destination "
                        "needs Advertising, Functional)"),
        ]  # fmt: skip
        assert (await world.steps(ids[5]))["amp"][0][0] == "consent"

        # Unify: the consent event is stored on the profile as its `consent` trait
        await asyncio.to_thread(
            _send,
            world.server.url,
            [{"user": "user-7", "event": "Segment Consent Preference Updated",
              "context": prefs({"Advertising": False, "Analytics": True, "Odd": "yes"})}],
        )  # fmt: skip
        url = f"{world.server.url}/v1/spaces/{SPACE}/collections/users/profiles/user_id:user-7"

        async def traits() -> dict[str, Any]:
            async with httpx.AsyncClient() as http:
                answer = await http.get(f"{url}/traits", auth=(ACCESS, ""))
            found: dict[str, Any] = answer.json().get("traits", {}) if answer.is_success else {}
            return found

        for _ in range(150):
            if "consent" in await traits():
                break
            await asyncio.sleep(0.1)
        preferences = {"Advertising": False, "Analytics": True, "Odd": False}
        assert (await traits())["consent"] == {"categoryPreferences": preferences}

    await _world(start_server, run)


async def test_a_replay_keeps_each_events_integrations_object(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async def run(world: World) -> None:
        options = {"Actions Amplitude": {"session_id": 1_700_000_000_999}, "raw": False}
        calls: list[dict[str, Any]] = [
            {"integrations": options},
            {"integrations": {"Mixpanel": False}},
        ]
        ids = await asyncio.to_thread(_send, world.server.url, calls)
        await world.settle({ids[0]: {"mp", "amp", "hook"}, ids[1]: {"amp", "hook", "raw"}})
        live = world.received()
        await wait_until(world.archived, 15, "the archive to catch up")
        now = datetime.now(UTC)
        span = ["--from", (now - timedelta(hours=1)).isoformat(),
                "--to", (now + timedelta(minutes=1)).isoformat()]  # fmt: skip
        done = await cli("replay", "--source", "web", *span, "-d", "mp", "-d", "amp",
                         "--url", world.server.url)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "done: 2 events, 3 delivery jobs queued" in done.stdout  # not ids[1] to mp

        def copies(name: str, mid: str) -> list[dict[str, Any]]:
            return [event for got, event in world.received()[name] if got == mid]

        await wait_until(
            lambda: len(copies("mp", ids[0])) == 2 and len(copies("amp", ids[1])) == 2,
            15,
            "the replayed copies",
        )
        for name, mid in (("mp", ids[0]), ("amp", ids[0]), ("amp", ids[1])):
            first, again = copies(name, mid)
            assert first == again == dict(live[name])[mid], (name, mid)  # the live payload
        assert copies("amp", ids[0])[0]["session_id"] == 1_700_000_000_999
        assert copies("mp", ids[1]) == []  # its "Mixpanel": false holds in a replay too
        steps = await world.steps(ids[1])
        assert steps["mp"][-1][1].endswith('integrations: "Mixpanel": false (catalog name)')
        assert len(world.received()["hook"]) == 2  # hook was not chosen: live copies only

    await _world(start_server, run)
