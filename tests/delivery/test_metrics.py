"""Prometheus text: every line is a comment or `name{labels} value`; histogram and gauges."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from delivery.conftest import enqueue, event, eventually, hook, make_config, running
from eventyard.delivery import DeliveryService, StateStore, metrics
from eventyard.delivery.jobs import DestinationStatus
from fakes.webhook_receiver import WebhookReceiver

_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
_SAMPLE = re.compile(
    rf"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{{(?:{_LABEL}(?:,{_LABEL})*)?\}})?"
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|Inf|NaN))$"
)
_COMMENT = re.compile(
    r"^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
    r"(?:counter|gauge|histogram|summary|untyped))$"
)


def parse(text: str) -> dict[str, float]:
    """Check the exposition line by line; return {name{labels}: value}."""
    assert text.endswith("\n")
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert _COMMENT.match(line), line
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        key = line.rsplit(" ", 1)[0]
        assert key not in samples, f"duplicate series {key}"
        samples[key] = float(match["value"].replace("Inf", "inf"))
    return samples


@pytest.fixture(autouse=True)
def fresh_histogram() -> Iterator[None]:
    metrics.reset()
    yield
    metrics.reset()


def test_render_is_valid_exposition_with_escaped_labels() -> None:
    metrics.observe("h", "send", 0.003)
    metrics.observe("h", "send", 0.2)
    metrics.observe("h", "send", 120.0)
    counts = [('we"ird\\name', "send", "filtered", "filter: x\ny", 3), ("h", "", "queued", "", 1)]
    status = DestinationStatus("h", 2, 1, 4, 5, 12.5, None)
    samples = parse(metrics.render_prometheus(counts, [status]))
    assert samples['eventyard_events_total{destination="h",action="",step="queued",reason=""}'] == 1
    assert any(
        k.startswith('eventyard_events_total{destination="we\\"ird\\\\name"') for k in samples
    )
    bucket = 'eventyard_delivery_latency_seconds_bucket{destination="h",action="send",le='
    assert samples[bucket + '"0.005"}'] == 1
    assert samples[bucket + '"0.25"}'] == 2
    assert samples[bucket + '"60"}'] == 2
    assert samples[bucket + '"+Inf"}'] == 3
    assert samples['eventyard_delivery_latency_seconds_count{destination="h",action="send"}'] == 3
    assert samples['eventyard_queue_pending{destination="h"}'] == 4
    assert samples['eventyard_queue_retrying{destination="h"}'] == 1
    assert samples['eventyard_dead_letters{destination="h"}'] == 5
    assert samples['eventyard_oldest_pending_seconds{destination="h"}'] == 12.5


async def test_service_metrics_after_deliveries(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1), event(2)])
    async with running(service):

        async def done() -> bool:
            return (await service.status())[0].delivered == 2

        await eventually(done)
    samples = parse(await service.metrics())
    delivered = 'eventyard_events_total{destination="h",action="send",step="delivered",reason=""}'
    assert samples[delivered] == 2
    assert samples['eventyard_delivery_latency_seconds_count{destination="h",action="send"}'] == 2
    assert samples['eventyard_queue_pending{destination="h"}'] == 0
