"""Who may call what: Bearer tokens (RFC 6750 answers), roles per endpoint, and the public
documents. Every endpoint is checked from the same declarations that build the routes."""

from __future__ import annotations

import re

import httpx
import pytest

from control.api_world import World, api_world, assert_error
from eventyard.control.api import api_endpoints
from eventyard.control.api_auth import ROLE_RANK
from eventyard.control.api_http import Endpoint

__all__ = ["api_world"]

_PARAMS = {
    "name": "a",
    "token_id": "1",
    "message_id": "m1",
    "replay_id": "r-1",
    "type": "webhook",
    "email": "admin",
    "invitation_id": "i-1",
}


def concrete(endpoint: Endpoint) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _PARAMS[m[1]], endpoint.path)


def guarded(world: World) -> list[Endpoint]:
    return [e for e in api_endpoints(world.ctx) if e.role is not None]


async def audit_size(world: World) -> int:
    return len((await world.call("GET", "/api/v1/audit", params={"limit": "1000"})).json())


async def test_every_guarded_endpoint_answers_401_with_a_challenge_without_a_token(
    api_world: World,
) -> None:
    for endpoint in guarded(api_world):
        response = await api_world.call(endpoint.method, concrete(endpoint), None, json={})
        assert_error(response, 401, "unauthorized", "Authorization: Bearer", "admin-token")
        assert response.headers["www-authenticate"] == 'Bearer realm="eventyard"'


async def test_every_endpoint_refuses_roles_below_its_own_and_changes_nothing(
    api_world: World,
) -> None:
    before = await audit_size(api_world)
    refused = 0
    for endpoint in guarded(api_world):
        assert endpoint.role is not None
        for who in ("viewer", "editor"):
            if ROLE_RANK[who] >= ROLE_RANK[endpoint.role]:
                continue
            response = await api_world.call(endpoint.method, concrete(endpoint), who, json={})
            assert_error(response, 403, "forbidden", endpoint.role, who)
            refused += 1
    assert refused > 20
    assert await audit_size(api_world) == before


def test_writes_need_an_editor_and_accounts_an_owner(api_world: World) -> None:
    roles = {(e.method, e.path): e.role for e in api_endpoints(api_world.ctx)}
    for (method, path), role in roles.items():
        accounts = ("/api/v1/tokens", "/api/v1/users", "/api/v1/invitations", "/api/v1/workspaces")
        if path.startswith(accounts):
            assert role == (
                "viewer" if method == "GET" and path == "/api/v1/workspaces" else "owner"
            )
        elif method != "GET":
            assert role in ("editor", "owner"), (method, path)
        elif path.startswith("/api/v1"):
            assert role == "viewer", path
    assert roles[("GET", "/metrics")] is None
    assert roles[("GET", "/api/openapi.json")] is None
    assert roles[("GET", "/api/docs")] is None


@pytest.mark.parametrize(
    ("header", "code", "error"),
    [
        ("Basic d2steDo=", "unauthorized", "invalid_request"),
        ("Bearer", "unauthorized", "invalid_request"),
        ("Bearer    ", "unauthorized", "invalid_request"),
        ("Token ey_abc", "unauthorized", "invalid_request"),
        ("Bearer ey_not-a-real-token-0000000000000", "invalid_token", "invalid_token"),
        ("Bearer not-even-prefixed", "invalid_token", "invalid_token"),
        ("Bearer ey_" + "x" * 100_000, "invalid_token", "invalid_token"),
        ("Bearer ey_\x01\x02", "invalid_token", "invalid_token"),
        ("Bearer ey_' OR 1=1 --", "invalid_token", "invalid_token"),
    ],
)
async def test_bad_credentials_are_401_with_the_rfc_6750_error(
    api_world: World, header: str, code: str, error: str
) -> None:
    response = await api_world.call(
        "GET", "/api/v1/sources", None, headers={"Authorization": header}
    )
    assert_error(response, 401, code)
    assert response.headers["www-authenticate"] == f'Bearer realm="eventyard", error="{error}"'


async def test_a_token_with_non_ascii_bytes_is_refused(api_world: World) -> None:
    raw = [(b"authorization", "Bearer ey_é…".encode())]
    request = httpx.Request("GET", "http://admin/api/v1/sources", headers=raw)
    response = await api_world.client.send(request)
    assert_error(response, 401, "invalid_token")


async def test_the_scheme_name_is_case_insensitive(api_world: World) -> None:
    token = api_world.tokens["viewer"]
    response = await api_world.call(
        "GET", "/api/v1/sources", None, headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 200


async def test_a_revoked_token_stops_working_at_once(api_world: World) -> None:
    listed = (await api_world.call("GET", "/api/v1/tokens")).json()
    (viewer,) = [t for t in listed if t["name"] == "viewer"]
    assert (await api_world.call("GET", "/api/v1/sources", "viewer")).status_code == 200
    assert (await api_world.call("DELETE", f"/api/v1/tokens/{viewer['id']}")).status_code == 204
    response = await api_world.call("GET", "/api/v1/sources", "viewer")
    assert_error(response, 401, "invalid_token", "revoked")


async def test_an_owner_that_revokes_its_own_token_is_locked_out(api_world: World) -> None:
    listed = (await api_world.call("GET", "/api/v1/tokens", "other")).json()
    (own,) = [t for t in listed if t["name"] == "other-owner"]
    assert (
        await api_world.call("DELETE", f"/api/v1/tokens/{own['id']}", "other")
    ).status_code == 204
    assert_error(await api_world.call("GET", "/api/v1/tokens", "other"), 401, "invalid_token")


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs"])
async def test_documents_need_no_token(api_world: World, path: str) -> None:
    response = await api_world.call("GET", path, None)
    assert response.status_code == 200
    bogus = await api_world.call("GET", path, None, headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 200
