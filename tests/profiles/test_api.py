"""The Profile API: Segment's paths and answers for every resource, pagination, auth, 404s,
and hostile input."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import psycopg
import pytest

from eventyard.profiles.store_postgres import PostgresProfileStore
from eventyard.profiles.store_sqlite import SQLiteProfileStore
from profiles.api_setup import ADMIN_TOKEN, SPACE, ProfileSite, profile_site
from profiles.test_journey import FAMILY, JANE, JOHN, JOURNEY, PHONE
from profiles.world import event

__all__ = ["profile_site"]

GROUP = [
    event(
        "g01", "2024-03-04T09:00:00Z", type="group", userId="jane-42", groupId="acme",
        traits={"name": "Acme Inc", "plan": "enterprise"},
    ),
    event(
        "g02", "2024-03-08T09:00:00Z", type="group", userId="john-7", groupId="acme",
        traits={"employees": 40},
    ),
]  # fmt: skip


@pytest.fixture
def site(profile_site: ProfileSite) -> ProfileSite:
    profile_site.world.apply([*JOURNEY, *GROUP])
    return profile_site


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert len(answer.headers["request-id"]) == 32
    body: dict[str, Any] = answer.json()
    return body


def _error(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["request-id"]
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize(
    "ref",
    [
        "user_id:jane-42",
        "anonymous_id:phone-1",
        "email:jane.doe@example.com",
        "email:JANE.DOE%40EXAMPLE.COM",
        JANE,
        f"profile_id:{JANE}",
        f"segment_id:{PHONE}",
        FAMILY,
    ],
)
async def test_traits_by_any_identifier_or_profile_id(site: ProfileSite, ref: str) -> None:
    body = _ok(await site.get(ref, "traits"))
    assert body["traits"] == {
        "email": "jane@newmail.com",
        "name": "Jane Doe",
        "pages": 3,
        "plan": "free",
    }
    path = f"/v1/spaces/{SPACE}/collections/users/profiles/{ref}/traits"
    assert body["cursor"] == {
        "url": path.replace("%40", "@"),
        "has_more": False,
        "next": "",
        "limit": 10,
    }


async def test_traits_verbose_include_class_and_pages(site: ProfileSite) -> None:
    body = _ok(await site.get("user_id:jane-42", "traits", verbose="true", include="email,pages"))
    assert body["traits"] == {
        "email": {
            "value": "jane@newmail.com",
            "source_id": "web",
            "updated_at": "2024-03-05T18:30:00.000Z",
        },
        "pages": {
            "value": 3,
            "source_id": "computed",
            "updated_at": body["traits"]["pages"]["updated_at"],
        },
    }
    assert _ok(await site.get("user_id:jane-42", "traits", **{"class": "computed_trait"}))[
        "traits"
    ] == {"pages": 3}
    assert _ok(await site.get("user_id:jane-42", "traits", **{"class": "audience"}))["traits"] == {}
    first = _ok(await site.get("user_id:jane-42", "traits", limit="2"))
    assert first["traits"] == {"email": "jane@newmail.com", "name": "Jane Doe"}
    assert first["cursor"]["has_more"] is True and first["cursor"]["next"] == "pages"
    second = _ok(await site.get("user_id:jane-42", "traits", limit="2", next="pages"))
    assert second["traits"] == {"pages": 3, "plan": "free"}
    assert second["cursor"]["has_more"] is False and second["cursor"]["next"] == ""


async def test_external_ids_with_pagination(site: ProfileSite) -> None:
    body = _ok(await site.get("user_id:john-7", "external_ids"))
    assert body["data"] == [
        {
            "source_id": "web",
            "collection": "users",
            "id": "john@example.com",
            "type": "email",
            "created_at": "2024-03-07T19:00:00.000Z",
            "encoding": "none",
            "first_message_id": "m09",
        },
        {
            "source_id": "web",
            "collection": "users",
            "id": "john-7",
            "type": "user_id",
            "created_at": "2024-03-07T19:00:00.000Z",
            "encoding": "none",
            "first_message_id": "m09",
        },
    ]
    seen: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "4", **({"next": cursor} if cursor else {})}
        page = _ok(await site.get("user_id:jane-42", "external_ids", **params))
        seen += [f"{item['type']}:{item['id']}" for item in page["data"]]
        if not page["cursor"]["has_more"]:
            break
        cursor = page["cursor"]["next"]
    assert seen == [
        "anonymous_id:laptop-1",
        "anonymous_id:phone-1",
        "email:jane.doe@example.com",
        "user_id:jane-42",
        "email:jane@newmail.com",
        "anonymous_id:family-pc",
    ]
    only = _ok(await site.get("user_id:jane-42", "external_ids", include="user_id"))
    assert [item["id"] for item in only["data"]] == ["jane-42"]


async def test_events_newest_first_with_filters_and_cursor(site: ProfileSite) -> None:
    body = _ok(await site.get("user_id:john-7", "events"))
    assert [e["message_id"] for e in body["data"]] == ["g02", "m10", "m09"]
    order = body["data"][1]
    assert order["event"] == "Order Completed" and order["type"] == "track"
    assert order["properties"] == {"order_id": "o-1", "revenue": 120}
    assert order["source_id"] == "web" and order["timestamp"] == "2024-03-07T19:10:00.000Z"
    assert order["related"] == {"users": JOHN}
    assert order["external_ids"] == [
        {"collection": "users", "type": "user_id", "id": "john-7", "encoding": "none"},
        {"collection": "users", "type": "anonymous_id", "id": "family-pc", "encoding": "none"},
    ]
    ascending = _ok(await site.get("user_id:jane-42", "events", sort="asc", limit="3"))
    assert [e["message_id"] for e in ascending["data"]] == ["m01", "m02", "m03"]
    assert ascending["cursor"]["has_more"] is True
    rest = _ok(
        await site.get(
            "user_id:jane-42", "events", sort="asc", limit="100", next=ascending["cursor"]["next"]
        )
    )
    assert [e["message_id"] for e in rest["data"]] == ["m04", "m05", "g01", "m06", "m07", "m08"]
    assert rest["cursor"]["has_more"] is False
    window = _ok(
        await site.get("user_id:jane-42", "events", start="2024-03-02", end="2024-03-05T00:00:00Z")
    )
    assert [e["message_id"] for e in window["data"]] == ["g01", "m05", "m04"]
    named = _ok(await site.get("user_id:jane-42", "events", include="Product Viewed"))
    assert [e["message_id"] for e in named["data"]] == ["m03"]
    others = _ok(await site.get("user_id:john-7", "events", exclude="Order Completed"))
    assert [e["message_id"] for e in others["data"]] == ["g02", "m09"]


async def test_metadata(site: ProfileSite) -> None:
    body = _ok(await site.get("anonymous_id:family-pc", "metadata"))
    assert body == {
        "metadata": {
            "created_at": "2024-03-01T09:00:00.000Z",
            "updated_at": "2024-03-06T20:05:00.000Z",
            "expires_at": None,
            "first_message_id": "m01",
            "first_source_id": "web",
            "last_message_id": "m08",
            "last_source_id": "web",
        }
    }


async def test_links_and_accounts(site: ProfileSite) -> None:
    links = _ok(await site.get("user_id:jane-42", "links"))
    assert links["data"] == [
        {
            "to_collection": "accounts",
            "external_ids": [
                {
                    "source_id": "web",
                    "collection": "accounts",
                    "id": "acme",
                    "type": "group_id",
                    "created_at": "2024-03-04T09:00:00.000Z",
                    "encoding": "none",
                    "first_message_id": None,
                }
            ],
        }
    ]
    users = _ok(await site.get("group_id:acme", "links", collection="accounts"))
    assert [
        sorted(f"{i['type']}:{i['id']}" for i in user["external_ids"]) for user in users["data"]
    ] == [
        sorted(
            ["anonymous_id:laptop-1", "anonymous_id:phone-1", "anonymous_id:family-pc",
             "user_id:jane-42", "email:jane.doe@example.com", "email:jane@newmail.com"]
        ),
        ["email:john@example.com", "user_id:john-7"],
    ]  # fmt: skip
    assert all(user["to_collection"] == "users" for user in users["data"])
    traits = _ok(await site.get("group_id:acme", "traits", collection="accounts"))
    assert traits["traits"] == {"employees": 40, "name": "Acme Inc", "plan": "enterprise"}
    meta = _ok(await site.get("group_id:acme", "metadata", collection="accounts"))["metadata"]
    assert (meta["first_message_id"], meta["last_message_id"]) == ("g01", "g02")
    assert meta["created_at"] == "2024-03-04T09:00:00.000Z"
    ids = _ok(await site.get("group_id:acme", "external_ids", collection="accounts"))["data"]
    assert [(i["type"], i["id"], i["collection"]) for i in ids] == [
        ("group_id", "acme", "accounts")
    ]
    events = _ok(await site.get("group_id:acme", "events", collection="accounts"))["data"]
    assert [e["message_id"] for e in events] == ["g02", "g01"]


async def test_no_control_plane_token_reads_profiles(site: ProfileSite) -> None:
    """Profiles hold every workspace's events: only the space's own token reads them."""
    for token in (ADMIN_TOKEN, site.other_token):
        message = _error(
            await site.get("user_id:jane-42", "traits", token=token), 401, "authentication_error"
        )
        assert "profiles.access_token" in message


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer profile-access-token",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"wrong-token:").decode(),
        "Basic " + base64.b64encode(b":profile-access-token").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:").decode(),
        "Basic " + "A" * 5000,
    ],
)
async def test_missing_or_wrong_credentials_are_401(
    site: ProfileSite, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = await site.client.get(site.url("user_id:jane-42", "traits"), headers=headers)
    _error(answer, 401, "authentication_error")
    assert answer.headers["www-authenticate"] == 'Basic realm="profiles"'


async def test_unknown_profiles_spaces_and_resources_are_404(site: ProfileSite) -> None:
    assert _error(await site.get("user_id:nobody", "traits"), 404, "not_found") == (
        "Profile was not found."
    )
    assert _error(await site.get("use_doesnotexist", "metadata"), 404, "not_found")
    assert _error(
        await site.get("group_id:nobody", "traits", collection="accounts"), 404, "not_found"
    )
    assert _error(
        await site.get("user_id:jane-42", "traits", collection="accounts"), 404, "not_found"
    )
    answer = await site.client.get(
        "/v1/spaces/other-space/collections/users/profiles/user_id:jane-42/traits",
        auth=("profile-access-token", ""),
    )
    assert _error(answer, 404, "not_found") == "Space was not found."
    _error(await site.get("user_id:jane-42", "secrets"), 404, "not_found")
    _error(
        await site.get("user_id:jane-42", "traits", collection="groups"), 400, "validation_error"
    )


async def test_before_any_event_every_profile_is_404(profile_site: ProfileSite) -> None:
    store = profile_site.world.store
    profile_site.world.close()
    if isinstance(store, SQLiteProfileStore):
        store.path.unlink()
    else:  # the test's own database: as if the consumer never ran
        assert isinstance(store, PostgresProfileStore)
        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    _error(await profile_site.get("user_id:jane-42", "traits"), 404, "not_found")


@pytest.mark.parametrize(
    ("ref", "params", "status"),
    [
        ("user_id:" + "x" * 5000, {}, 400),
        ("jane-42", {}, 400),
        (":jane-42", {}, 400),
        ("user_id:", {}, 400),
        ("user_id:jane-42", {"limit": "0"}, 400),
        ("user_id:jane-42", {"limit": "201"}, 400),
        ("user_id:jane-42", {"limit": "-1"}, 400),
        ("user_id:jane-42", {"limit": "1e3"}, 400),
        ("user_id:jane-42", {"class": "everything"}, 400),
        ("user_id:jane-42", {"sort": "sideways"}, 400),
        ("user_id:jane-42", {"start": "yesterday"}, 400),
        ("user_id:jane-42", {"include": "x" * 10_000}, 400),
        ("user_id:..%2F..%2F..%2Fetc%2Fpasswd", {}, 404),
        ("user_id:..", {}, 404),
        ("user_id:%00", {}, 404),
        ("user_id:' OR '1'='1", {}, 404),
        ("user_id:%E2%80%AEjane", {}, 404),
        ("email:%2B1", {}, 404),
        ("anonymous_id:null", {}, 404),
    ],
)
async def test_hostile_input(
    site: ProfileSite, ref: str, params: dict[str, str], status: int
) -> None:
    code = "validation_error" if status == 400 else "not_found"
    _error(await site.get(ref, "traits", **params), status, code)


async def test_a_garbage_events_cursor_starts_from_the_top(site: ProfileSite) -> None:
    body = _ok(await site.get("user_id:john-7", "events", next="%%%not-a-cursor"))
    assert [e["message_id"] for e in body["data"]] == ["g02", "m10", "m09"]
