from typing import Any

import pytest

from eventyard.errors import IngestError
from eventyard.spec.messages import check_message


def code_of(message: dict[str, Any]) -> str:
    with pytest.raises(IngestError) as caught:
        check_message(message)
    return caught.value.code


def test_key_prefers_user_then_anonymous_then_previous_then_group() -> None:
    assert check_message({"type": "identify", "userId": "u", "anonymousId": "a"}) == "u"
    assert check_message({"type": "identify", "anonymousId": "a"}) == "a"
    assert check_message({"type": "group", "groupId": "g"}) == "g"
    assert check_message({"type": "track", "event": "E", "previousId": "p", "groupId": "g"}) == "p"


def test_numeric_ids_are_stringified() -> None:
    message: dict[str, Any] = {"type": "track", "event": "E", "userId": 42, "anonymousId": 1.5}
    assert check_message(message) == "42"
    assert message["userId"] == "42"
    assert message["anonymousId"] == "1.5"


def test_missing_identity() -> None:
    with pytest.raises(IngestError) as caught:
        check_message({"type": "track", "event": "E", "userId": ""})
    assert caught.value.code == "no_user_anon_id"
    assert caught.value.message == "userId or anonymousId is required"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"userId": "u"}, "invalid_type"),
        ({"type": "purchase", "userId": "u"}, "invalid_type"),
        ({"type": "track", "userId": "u"}, "no_event_name"),
        ({"type": "track", "userId": "u", "event": 5}, "invalid_field"),
        ({"type": "identify", "userId": {"id": 1}}, "invalid_field"),
        ({"type": "identify", "userId": True}, "invalid_field"),
        ({"type": "track", "event": "E", "userId": "u", "properties": []}, "invalid_field"),
        ({"type": "identify", "userId": "u", "traits": "x"}, "invalid_field"),
        ({"type": "page", "userId": "u", "context": 1}, "invalid_field"),
        ({"type": "group", "userId": "u"}, "no_group_id"),
        ({"type": "alias", "previousId": "p"}, "no_user_id"),
        ({"type": "alias", "userId": "u"}, "no_previous_id"),
        ({"type": "page", "userId": "u", "messageId": "m" * 101}, "invalid_message_id"),
        ({"type": "page", "userId": "u", "messageId": 7}, "invalid_field"),
    ],
)
def test_invalid_messages(message: dict[str, Any], code: str) -> None:
    assert code_of(message) == code


def test_null_objects_are_dropped_and_limits_are_inclusive() -> None:
    message: dict[str, Any] = {
        "type": "screen",
        "userId": "u",
        "properties": None,
        "messageId": "m" * 100,
    }
    check_message(message)
    assert "properties" not in message
