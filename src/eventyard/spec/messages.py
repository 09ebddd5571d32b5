"""Validation of one Segment message (segment.md §1.5, §1.6).

Checks are the ones Segment's own clients apply (analytics-node / analytics-core), so a
message one of them would send is never refused. Validation works in place on the parsed
dict: ids that are numbers become strings and null objects are dropped, so the stored
event has the shapes the pipeline expects.
"""

from __future__ import annotations

from typing import Any

from eventyard.errors import IngestError

__all__ = [
    "CONSENT_EVENT",
    "MAX_MESSAGE_ID_LENGTH",
    "MESSAGE_TYPES",
    "check_message",
    "kind_of",
]

MESSAGE_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})
MAX_MESSAGE_ID_LENGTH = 100
CONSENT_EVENT = "Segment Consent Preference Updated"
"""The track event a consent manager sends when a person changes their choices: Unify keeps
it on the profile, and every tracking plan accepts it (Segment adds it to each plan)."""
_OBJECT_FIELDS = ("context", "integrations", "properties", "traits")


def kind_of(value: object) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _identity(message: dict[str, Any], field: str) -> str | None:
    """A non-empty id as a string (numbers are stringified in place), or None."""
    value = message.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
        message[field] = text
        return text
    raise IngestError(
        "invalid_field", f"{field} must be a string or a number, not {kind_of(value)}"
    )


def _check_objects(message: dict[str, Any]) -> None:
    for field in _OBJECT_FIELDS:
        if field not in message:
            continue
        value = message[field]
        if value is None:
            del message[field]
        elif not isinstance(value, dict):
            raise IngestError("invalid_field", f"{field} must be an object, not {kind_of(value)}")


def _check_message_id(message: dict[str, Any]) -> None:
    value = message.get("messageId")
    if value is None or value == "":
        return
    if not isinstance(value, str):
        raise IngestError("invalid_field", f"messageId must be a string, not {kind_of(value)}")
    if len(value) > MAX_MESSAGE_ID_LENGTH:
        raise IngestError(
            "invalid_message_id",
            f"messageId is {len(value)} characters; at most {MAX_MESSAGE_ID_LENGTH} are allowed",
        )


def _check_type_fields(message: dict[str, Any], kind: str, user_id: str | None) -> None:
    if kind == "track":
        event = message.get("event")
        if event is None or event == "":
            raise IngestError("no_event_name", "event is required for track calls")
        if not isinstance(event, str):
            raise IngestError("invalid_field", f"event must be a string, not {kind_of(event)}")
    elif kind == "group" and not message.get("groupId"):
        raise IngestError("no_group_id", "groupId is required for group calls")
    elif kind == "alias":
        if user_id is None:
            raise IngestError("no_user_id", "userId (the new id) is required for alias calls")
        if not message.get("previousId"):
            raise IngestError("no_previous_id", "previousId is required for alias calls")


def check_message(message: dict[str, Any]) -> str:
    """Validate `message` in place and return its user key (the log partition key).

    The key is userId, else anonymousId, else previousId, else groupId. Raises IngestError
    with a Segment-like code (`no_user_anon_id`, `no_event_name`, ...) naming the problem.
    """
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else kind_of(kind)
        raise IngestError(
            "invalid_type",
            f"type must be one of alias, group, identify, page, screen, track; got {shown!r}",
        )
    user_id = _identity(message, "userId")
    anonymous_id = _identity(message, "anonymousId")
    previous_id = _identity(message, "previousId")
    group_id = _identity(message, "groupId")
    key = user_id or anonymous_id or previous_id or group_id
    if key is None:
        raise IngestError("no_user_anon_id", "userId or anonymousId is required")
    _check_type_fields(message, kind, user_id)
    _check_objects(message)
    _check_message_id(message)
    return key
