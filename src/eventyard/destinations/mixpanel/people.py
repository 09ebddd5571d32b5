"""identifyUser and groupIdentifyUser: user and group profiles through /engage and /groups.

identifyUser also links the anonymous id to the user id with an `$identify` event on
/track (Mixpanel's "Create Identity"; it acts in projects on Original ID Merge and is
ignored by Simplified ID Merge, which links ids through events' `$device_id`/`$user_id`).
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from eventyard.destinations.base import ActionDefinition
from eventyard.destinations.mixpanel.common import check_verbose, post_json
from eventyard.destinations.mixpanel.settings import MixpanelSettings
from eventyard.errors import TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["group_identify_user", "identify_user", "profile_properties"]

_RESERVED = {
    "email": "$email",
    "firstName": "$first_name",
    "lastName": "$last_name",
    "name": "$name",
    "username": "$username",
    "phone": "$phone",
    "avatar": "$avatar",
    "created": "$created",
}
"""Segment's reserved traits and the Mixpanel profile properties they become."""

IDENTIFY_FIELDS: dict[str, FieldSpec] = {
    "user_id": FieldSpec("User ID", "string", allow_null=True, default={"@path": "$.userId"}),
    "anonymous_id": FieldSpec(
        "Anonymous ID", "string", allow_null=True, default={"@path": "$.anonymousId"}
    ),
    "ip": FieldSpec("IP Address", "string", default={"@path": "$.context.ip"}),
    "traits": FieldSpec("User Properties", "object", default={"@path": "$.traits"}),
}

GROUP_FIELDS: dict[str, FieldSpec] = {
    "group_key": FieldSpec(
        "Group Key",
        "string",
        description="The group key set up in Mixpanel's project settings; `$group_id` if empty.",
    ),
    "group_id": FieldSpec("Group ID", "string", required=True, default={"@path": "$.groupId"}),
    "traits": FieldSpec("Group Properties", "object", default={"@path": "$.traits"}),
}


def profile_properties(traits: dict[str, Any]) -> dict[str, Any]:
    """Traits with Segment's reserved names renamed to Mixpanel's ($email, $name, ...)."""
    return {_RESERVED.get(key, key): value for key, value in traits.items()}


async def _identify(
    client: httpx.AsyncClient, settings: MixpanelSettings, payload: dict[str, Any]
) -> None:
    user_id, anonymous_id = payload.get("user_id"), payload.get("anonymous_id")
    distinct_id = user_id or anonymous_id
    if not distinct_id:
        raise TerminalError("identifyUser needs user_id or anonymous_id; both are empty")
    if user_id and anonymous_id and user_id != anonymous_id:
        event = {
            "event": "$identify",
            "properties": {
                "$identified_id": user_id,
                "$anon_id": anonymous_id,
                "token": settings.project_token,
            },
        }
        response = await client.post(
            f"{settings.base_url}/track",
            params={"verbose": "1"},
            data={"data": orjson.dumps(event).decode("utf-8")},
            headers={"Accept": "application/json"},
        )
        check_verbose(response, "$identify event")
    traits = payload.get("traits") or {}
    if traits:
        update: dict[str, Any] = {
            "$token": settings.project_token,
            "$distinct_id": distinct_id,
            "$set": profile_properties(traits),
        }
        if payload.get("ip"):
            update["$ip"] = payload["ip"]
        response = await post_json(client, f"{settings.base_url}/engage", [update])
        check_verbose(response, "profile update")


async def _group(
    client: httpx.AsyncClient, settings: MixpanelSettings, payload: dict[str, Any]
) -> None:
    traits = payload.get("traits") or {}
    key = payload.get("group_key") or "$group_id"
    update = {
        "$token": settings.project_token,
        "$group_key": key,
        "$group_id": traits.get(key) or payload["group_id"],
        "$set": traits,
    }
    response = await post_json(client, f"{settings.base_url}/groups", [update])
    check_verbose(response, "group profile update")


identify_user = ActionDefinition(
    title="Identify User",
    fields=IDENTIFY_FIELDS,
    default_subscription='type = "identify"',
    perform=_identify,
    description="Link the anonymous id to the user id and $set the traits on the profile.",
)

group_identify_user = ActionDefinition(
    title="Group Identify User",
    fields=GROUP_FIELDS,
    default_subscription='type = "group"',
    perform=_group,
    description="$set traits on a group profile (Mixpanel Group Analytics).",
)
