"""The destination catalog: which types are installed, their settings and actions.

The field specs are the single source of truth: the catalog is `destinations.catalog`'s
description plus the settings as JSON Schema (secret fields flagged), which is what a form
or a config generator needs. Types are not workspace-specific; any token may read them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import Endpoint, encoded
from eventyard.control.api_schemas import CatalogEntry, CatalogType
from eventyard.control.openapi import json_schema
from eventyard.destinations.base import secret_fields
from eventyard.destinations.catalog import describe, summary
from eventyard.destinations.registry import get_definition, type_names

__all__ = ["catalog_endpoints", "settings_schema"]


def settings_schema(slug: str) -> dict[str, Any]:
    """JSON Schema of a type's `settings`; secrets marked `x-secret` and `writeOnly`."""
    settings = get_definition(slug).settings
    schema = json_schema(settings)
    properties = schema["$defs"][settings.__name__]["properties"]
    for name in secret_fields(settings):
        properties[name] |= {"x-secret": True, "writeOnly": True}
    return schema


async def _list(_: Request) -> Response:
    return encoded([CatalogEntry(**row) for row in summary()])


async def _one(request: Request) -> Response:
    slug: str = request.path_params["type"]
    if slug not in type_names():
        known = ", ".join(type_names())
        raise ApiError(404, "unknown_type", f"no destination type {slug[:80]!r} (known: {known})")
    return encoded(CatalogType(**describe(slug), settings_schema=settings_schema(slug)))


def catalog_endpoints() -> list[Endpoint]:
    return [
        Endpoint("GET", "/api/v1/catalog/destinations", _list, "Installed destination types",
                 "catalog", response=list[CatalogEntry]),
        Endpoint("GET", "/api/v1/catalog/destinations/{type}", _one,
                 "A destination type's settings schema and actions", "catalog",
                 response=CatalogType, errors=(404,)),
    ]  # fmt: skip
