"""identifyUser against the local Amplitude Identify API."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
import pytest

from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.amplitude import AmplitudeFake

from .conftest import Harness


def _identify(**overrides: object) -> dict[str, object]:
    return make_event(type="identify", traits={"email": "ada@example.com"}, **overrides)


async def test_identify_posts_the_form_amplitude_documents(
    fake: AmplitudeFake, harness: Harness
) -> None:
    await harness().perform("identifyUser", _identify())
    (request,) = fake.requests
    assert request.method == "POST" and request.path == "/identify"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
    assert form["api_key"] == "amp-key-1234"
    assert orjson.loads(form["identification"]) == {
        "user_id": "user1234",
        "device_id": "anonId1234",
        "user_properties": {"email": "ada@example.com"},
        "language": "en-US",
    }
    assert fake.identifications[0]["user_id"] == "user1234"


def test_only_identify_calls_are_subscribed(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload("identifyUser", make_event())


async def test_identify_without_ids_is_terminal(fake: AmplitudeFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="needs a user_id or a device_id"):
        await harness().perform("identifyUser", _identify(userId=None, anonymousId=None))
    assert fake.requests == []


async def test_bad_api_key_is_terminal(harness: Harness) -> None:
    with pytest.raises(TerminalError, match=r"invalid api_key.*check api_key"):
        await harness(api_key="wrong-key").perform("identifyUser", _identify())


async def test_throttled_identify_is_retryable(fake: AmplitudeFake, harness: Harness) -> None:
    fake.throttled_users.add("user1234")
    with pytest.raises(TransientError, match="user1234"):
        await harness().perform("identifyUser", _identify())
