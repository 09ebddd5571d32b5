"""identifyUser and groupIdentifyUser against the local Mixpanel."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
import pytest

from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.mixpanel import Answer, MixpanelFake

from .conftest import Harness


def _identify(**overrides: object) -> dict[str, object]:
    traits = {"email": "ada@example.com", "firstName": "Ada", "plan": "pro"}
    return make_event(type="identify", traits=traits, **overrides)


async def test_identify_merges_ids_then_sets_profile(fake: MixpanelFake, harness: Harness) -> None:
    await harness().perform("identifyUser", _identify())

    track, engage = fake.requests
    assert track.path == "/track?verbose=1"
    assert track.headers["content-type"] == "application/x-www-form-urlencoded"
    assert orjson.loads(parse_qs(track.body.decode())["data"][0]) == {
        "event": "$identify",
        "properties": {"$identified_id": "user1234", "$anon_id": "anonId1234", "token": "mp-token"},
    }
    assert engage.path == "/engage?verbose=1"
    assert engage.headers["content-type"] == "application/json"
    assert orjson.loads(engage.body) == [
        {
            "$token": "mp-token",
            "$distinct_id": "user1234",
            "$ip": "8.8.8.8",
            "$set": {"$email": "ada@example.com", "$first_name": "Ada", "plan": "pro"},
        }
    ]
    assert fake.profiles == {
        "user1234": {"$email": "ada@example.com", "$first_name": "Ada", "plan": "pro"}
    }


async def test_anonymous_identify_only_sets_profile(fake: MixpanelFake, harness: Harness) -> None:
    await harness().perform("identifyUser", _identify(userId=None))
    (engage,) = fake.requests
    assert engage.path == "/engage?verbose=1"
    assert set(fake.profiles) == {"anonId1234"}


async def test_identify_without_traits_only_merges(fake: MixpanelFake, harness: Harness) -> None:
    await harness().perform("identifyUser", make_event(type="identify"))
    assert [r.path for r in fake.requests] == ["/track?verbose=1"]
    assert fake.profiles == {}


async def test_identify_without_any_id_is_terminal(harness: Harness) -> None:
    event = _identify(userId=None, anonymousId=None)
    with pytest.raises(TerminalError, match="user_id or anonymous_id"):
        await harness().perform("identifyUser", event)


async def test_wrong_token_is_terminal_though_mixpanel_says_200(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="check project_token"):
        await harness(project_token="not-the-token").perform("identifyUser", _identify())


async def test_engage_outage_is_retryable(fake: MixpanelFake, harness: Harness) -> None:
    fake.script([Answer(502, body=b"bad gateway")])
    with pytest.raises(TransientError):
        await harness().perform("identifyUser", _identify(userId=None))


async def test_group_sets_group_profile(fake: MixpanelFake, harness: Harness) -> None:
    event = make_event(type="group", groupId="g-7", traits={"name": "Acme", "plan": "team"})
    await harness().perform("groupIdentifyUser", event)
    (request,) = fake.requests
    assert request.path == "/groups?verbose=1"
    assert orjson.loads(request.body) == [
        {
            "$token": "mp-token",
            "$group_key": "$group_id",
            "$group_id": "g-7",
            "$set": {"name": "Acme", "plan": "team"},
        }
    ]
    assert fake.groups == {("$group_id", "g-7"): {"name": "Acme", "plan": "team"}}


async def test_group_key_trait_names_the_group(fake: MixpanelFake, harness: Harness) -> None:
    event = make_event(type="group", groupId="g-7", traits={"company": "acme-co"})
    await harness().perform("groupIdentifyUser", event, mapping={"group_key": "company"})
    assert set(fake.groups) == {("company", "acme-co")}


def test_group_without_group_id_is_not_sent(harness: Harness) -> None:
    with pytest.raises(NotSent, match="missing the required field 'group_id'"):
        harness().payload("groupIdentifyUser", make_event(type="group"))
