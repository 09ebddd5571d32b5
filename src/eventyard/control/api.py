"""The REST API under `/api`: every endpoint, the OpenAPI document and its docs page.

Endpoints are declared per concern (`api_ops`: status, traces, dead letters, replays and
metrics; `api_config`: workspaces, sources, destinations; `api_destinations`: connection
tests; `api_catalog`: destination types; `api_admin`: tokens, users, audit;
`api_conversions`: match quality, observed payloads, route comparison) and put behind their
role checks here, in one place (`api_http.build_routes`). Every `/api` route is in this list:
any other path under `/api` is answered 404 (or 405) in JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from eventyard import __version__
from eventyard.control.api_admin import admin_endpoints
from eventyard.control.api_catalog import catalog_endpoints
from eventyard.control.api_config import config_endpoints
from eventyard.control.api_conversions import conversion_endpoints
from eventyard.control.api_destinations import destination_test_endpoints
from eventyard.control.api_docs import docs_endpoints
from eventyard.control.api_http import Endpoint, build_routes
from eventyard.control.api_ops import (
    MAX_LIMIT,
    iso,
    operation_endpoints,
    replay_json,
    status_report,
)
from eventyard.control.api_protocols import protocol_endpoints
from eventyard.control.openapi import openapi_document

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = [
    "MAX_LIMIT",
    "api_endpoints",
    "api_routes",
    "iso",
    "replay_json",
    "status_report",
]


def api_endpoints(ctx: ServerContext) -> list[Endpoint]:
    """Every endpoint, documents included (they describe the whole list)."""
    endpoints = [
        *operation_endpoints(ctx),
        *config_endpoints(ctx),
        *destination_test_endpoints(ctx),
        *catalog_endpoints(),
        *admin_endpoints(ctx),
        *conversion_endpoints(ctx),
        *protocol_endpoints(ctx),
    ]
    documents = docs_endpoints(lambda: openapi_document(endpoints, __version__))
    endpoints += documents
    return endpoints


def api_routes(ctx: ServerContext) -> list[BaseRoute]:
    """Everything under `/api/...` plus `/metrics`, for `create_app(extra_routes=...)`."""
    return build_routes(ctx, api_endpoints(ctx))
