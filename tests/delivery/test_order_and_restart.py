"""Per-user order for ordered destinations, and jobs that outlive the process."""

from __future__ import annotations

import time

import httpx
import orjson

from delivery.conftest import (
    enqueue,
    event,
    eventually,
    fast_delivery,
    hook,
    make_config,
    running,
)
from eventyard.delivery import DeliveryService, StateStore, jobs
from fakes.webhook_receiver import Answer, Received, WebhookReceiver


async def test_ordered_destination_keeps_user_order_while_one_user_fails(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient, ordered_webhook: str
) -> None:
    failures = {"m0": 3}

    def answer(request: Received) -> Answer | None:
        message_id = orjson.loads(request.body)["messageId"]
        if failures.get(message_id, 0) > 0:
            failures[message_id] -= 1
            return Answer(500)
        return None

    receiver.on_request = answer
    delivery = fast_delivery(backoff_initial=0.1, backoff_max=0.1)
    config = make_config(hook("h", receiver.url, delivery, kind=ordered_webhook))
    service = DeliveryService(config, state, client)
    alice = [event(i, "alice") for i in range(5)]
    bob = [event(i, "bob") for i in range(10, 15)]
    await enqueue(state, "h", [e for pair in zip(alice, bob, strict=True) for e in pair])
    async with running(service):
        await receiver.wait_for(13)
    alice_seen = [r.body for r in receiver.requests if b"alice" in r.body]
    bob_seen = [r.body for r in receiver.requests if b"bob" in r.body]
    assert alice_seen == [alice[0]] * 4 + alice[1:]  # nothing overtook the failing event
    assert bob_seen == bob
    bob_done = max(r.at for r in receiver.requests if b"bob" in r.body)
    alice_unblocked = [r.at for r in receiver.requests if b"alice" in r.body][3]
    assert bob_done < alice_unblocked  # bob was not held up behind alice


async def test_jobs_survive_restart_on_same_state_file(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    await receiver.down()
    config = make_config(hook("h", receiver.url))
    first = DeliveryService(config, state, client)
    await enqueue(state, "h", [event(1), event(2)])
    async with running(first):

        async def failed() -> bool:
            (status,) = await first.status()
            return status.retrying == 2

        await eventually(failed)
    await state.close()

    reopened = StateStore(state.path)
    await reopened.open()
    try:
        await receiver.up()
        second = DeliveryService(config, reopened, client)
        async with running(second):
            await receiver.wait_for(2)
        assert sorted(r.body for r in receiver.requests) == [event(1), event(2)]
    finally:
        await reopened.close()
        await state.open()


async def test_job_claimed_by_a_crashed_process_is_sent_after_restart(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    await enqueue(state, "h", [event(1)])
    # A process claimed the job (lease of an hour) and died before it could send it.
    claimed = await state.run(
        lambda conn: jobs.claim(conn, "h", ordered=False, limit=10, now=time.time(), lease=3600)
    )
    assert len(claimed) == 1
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    async with running(service):
        (request,) = await receiver.wait_for(1)
    assert request.body == event(1)


async def test_a_job_cut_short_by_a_crash_keeps_its_place_in_the_queue(state: StateStore) -> None:
    """Even for an unordered destination: one slot sends in queue order after a restart, so
    the job that was in flight is not sent after the ones queued behind it."""
    await enqueue(state, "h", [event(1)])
    now = time.time()
    (first,) = await state.run(
        lambda conn: jobs.claim(conn, "h", ordered=False, limit=1, now=now, lease=3600)
    )
    await enqueue(state, "h", [event(2), event(3)])
    await state.run(lambda conn: jobs.release_leases(conn, "h", time.time() + 5))
    claimed = await state.run(
        lambda conn: jobs.claim(conn, "h", ordered=False, limit=3, now=time.time(), lease=60)
    )
    assert [job.message_id for job in claimed] == ["m1", "m2", "m3"]
    assert claimed[0].id == first.id
