"""The OpenAPI document, the docs page and the destination catalog: valid OpenAPI 3.1,
every route present with its method, parameters, bodies and security, and a readable page
that loads nothing from elsewhere."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from markupsafe import escape
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Route

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control.api import api_endpoints, api_routes
from eventyard.control.api_catalog import settings_schema
from eventyard.control.api_schemas import CatalogEntry, CatalogType
from eventyard.control.openapi import spec_path
from eventyard.destinations.registry import type_names

__all__ = ["api_world"]


async def document(world: World) -> dict[str, Any]:
    response = await world.call("GET", "/api/openapi.json", None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data: dict[str, Any] = response.json()
    return data


async def test_the_document_is_valid_openapi_3_1(api_world: World) -> None:
    spec = await document(api_world)
    assert spec["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(spec).validate()


async def test_every_registered_route_is_documented_with_its_method(api_world: World) -> None:
    paths = (await document(api_world))["paths"]
    routes = [r for r in api_routes(api_world.ctx) if isinstance(r, Route)]
    api = [r for r in routes if r.path.startswith("/api/v1") or r.path == "/metrics"]
    assert len(api) > 25
    for route in api:
        assert route.methods is not None
        documented = paths[spec_path(route.path)]
        for method in route.methods - {"HEAD"}:
            assert method.lower() in documented, (method, route.path)


async def test_each_operation_says_who_may_call_it_and_what_it_answers(api_world: World) -> None:
    spec = await document(api_world)
    ids = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            ids.append(operation["operationId"])
            assert operation["summary"] and operation["tags"]
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path))
            if operation["security"]:
                assert operation["security"] == [{"bearer": []}]
                assert {"401", "403"} <= set(operation["responses"])
                assert operation["x-eventyard-role"] in ("viewer", "editor", "owner")
            else:
                assert path in ("/metrics", "/api/openapi.json", "/api/docs")
            if method in ("put", "patch") or (method == "post" and "requestBody" in operation):
                assert "400" in operation["responses"] and "413" in operation["responses"]
    assert len(ids) == len(set(ids))
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_every_schema_reference_resolves(api_world: World) -> None:
    spec = await document(api_world)
    text = str(spec)
    names = set(re.findall(r"#/components/schemas/(\w+)", text))
    assert names <= set(spec["components"]["schemas"])
    assert {"DestinationConfig", "SourceConfig", "ErrorBody", "StatusReport"} <= names


async def test_documented_bodies_accept_what_the_api_answers(api_world: World) -> None:
    spec = await document(api_world)
    defs = spec["components"]["schemas"]
    checks = {
        "/api/v1/destinations/{name}": "/api/v1/destinations/a",
        "/api/v1/sources/{name}": "/api/v1/sources/web",
        "/api/v1/status": "/api/v1/status",
    }
    for documented, real in checks.items():
        schema = spec["paths"][documented]["get"]["responses"]["200"]["content"]
        body = (await api_world.call("GET", real)).json()
        jsonschema.validate(
            body, {**schema["application/json"]["schema"], "components": {"schemas": defs}}
        )


async def test_field_docstrings_become_descriptions(api_world: World) -> None:
    schemas = (await document(api_world))["components"]["schemas"]
    assert "FQL" in schemas["DestinationConfig"]["properties"]["filter"]["description"]
    assert "null" in schemas["ReplayRequest"]["properties"]["rate"]["description"]
    webhook = settings_schema("webhook")["$defs"]["WebhookSettings"]["properties"]
    assert all(isinstance(p.get("description", ""), str) for p in webhook.values())


async def test_a_duration_is_documented_as_seconds_or_a_unit(api_world: World) -> None:
    delivery = (await document(api_world))["components"]["schemas"]["DeliverySettings"]
    timeout = delivery["properties"]["timeout"]
    assert timeout["default"] == 10.0
    assert {part["type"] for part in timeout["anyOf"]} == {"number", "string"}


async def test_the_docs_page_is_self_contained_and_lists_every_operation(
    api_world: World,
) -> None:
    response = await api_world.call("GET", "/api/docs", None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    for endpoint in api_endpoints(api_world.ctx):
        assert escape(spec_path(endpoint.path)) in page, endpoint.path
        assert escape(endpoint.summary) in page
    assert 'id="schema-DestinationConfig"' in page
    assert "server.metrics_token" in page  # the intro says how to scrape /metrics


async def test_the_catalog_lists_installed_types(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/catalog/destinations", "viewer")
    rows = decoded(response, list[CatalogEntry])
    assert [row.type for row in rows] == type_names()
    webhook = next(row for row in rows if row.type == "webhook")
    assert webhook.actions == ["send"]


@pytest.mark.parametrize("slug", type_names())
async def test_each_type_has_a_json_schema_that_checks_settings(
    api_world: World, slug: str
) -> None:
    response = await api_world.call("GET", f"/api/v1/catalog/destinations/{slug}", "viewer")
    described = decoded(response, CatalogType)
    assert described.type == slug and described.actions
    jsonschema.Draft202012Validator.check_schema(described.settings_schema)
    for action in described.actions.values():
        assert isinstance(action["default_subscription"], str)
        assert all("default" in field for field in action["fields"].values())


async def test_secret_settings_are_flagged_in_the_schema(api_world: World) -> None:
    schema = settings_schema("webhook")
    properties = schema["$defs"]["WebhookSettings"]["properties"]
    assert properties["shared_secret"]["x-secret"] is True
    assert properties["shared_secret"]["writeOnly"] is True
    assert "x-secret" not in properties["url"]
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"url": "https://example.com/hook"})
    assert not validator.is_valid({"url": 5})
    assert not validator.is_valid({"url": "https://x", "typo": 1})


@pytest.mark.parametrize("slug", ["nope", "..%2F..", "WEBHOOK", "x" * 3000, "%00"])
async def test_an_unknown_type_is_404(api_world: World, slug: str) -> None:
    response = await api_world.call("GET", f"/api/v1/catalog/destinations/{slug}")
    assert response.status_code == 404
    assert response.json()["code"] in ("unknown_type", "not_found")


async def test_the_catalog_needs_a_token(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/catalog/destinations", None)
    assert_error(response, 401, "unauthorized")
