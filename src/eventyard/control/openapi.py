"""The OpenAPI 3.1 document of the REST API, built from the endpoint declarations.

Paths, methods, roles and body types come from the same `Endpoint` list that builds the
routes; schemas come from the msgspec Structs through `msgspec.json.schema_components`.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import operator
import re
import textwrap
from collections.abc import Iterable
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec

from eventyard.control.api_http import Endpoint
from eventyard.control.api_schemas import ErrorBody
from eventyard.control.duration import Duration

__all__ = ["json_schema", "openapi_document", "operation_id", "spec_path"]

_REF = "#/components/schemas/{name}"
_CONVERTER = re.compile(r"\{(\w+):\w+\}")
_PATH_PARAM = re.compile(r"\{(\w+)\}")

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "Done; no body",
    400: "Bad input: the message names the key or value to fix",
    401: "No token, or not a valid one (see WWW-Authenticate)",
    403: "The token's role is too low for this operation",
    404: "No such object in the token's workspace",
    409: "The name is taken (names are unique across workspaces)",
    413: "The body is over 1 MB",
}

_INTRO = """\
Configure and operate eventyard: sources, destinations, tokens, users, the audit log,
delivery status, traces, dead letters and replays.

Every `/api/v1` operation needs `Authorization: Bearer <token>`. A token belongs to one
workspace and has a role: `viewer` reads, `editor` also changes configuration and retries
dead letters, `owner` also manages tokens and users. Objects of other workspaces are
answered 404, as if they did not exist. Changes apply to the running server before the
answer is sent, and each one is written to the audit log. Secrets are answered as
`********`; sending that mask back keeps the stored value.

This document and `/api/docs` need no token. `GET /metrics` (Prometheus text format)
counts events per source and destination name of every workspace, so it takes its own token,
`server.metrics_token`, sent by the scraper as `Authorization: Bearer <token>`; it is open
without one only while the install has a single workspace."""


def spec_path(path: str) -> str:
    """A Starlette path as OpenAPI writes it (`{id:path}` -> `{id}`)."""
    return _CONVERTER.sub(r"{\1}", path)


def operation_id(endpoint: Endpoint) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", spec_path(endpoint.path).removeprefix("/api/v1").lower())
    return f"{endpoint.method.lower()}{words.rstrip('_') or '_root'}"


def _duration_schema(kind: type) -> dict[str, Any]:
    if kind is Duration:
        return {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "examples": ["500ms", "30s", "5m", "24h", "7d"]},
            ],
            "description": "Seconds, or a number with a unit: ms, s, m, h, d.",
        }
    raise NotImplementedError(kind)


def _plain_struct(kind: type[msgspec.Struct], done: dict[Any, Any]) -> type[msgspec.Struct]:
    fields: list[tuple[str, Any, Any]] = []
    for info in msgspec.structs.fields(kind):
        default = info.default
        if isinstance(default, float):  # Duration(10) -> 10.0
            default = float(default)
        if default is not msgspec.NODEFAULT:
            spec = msgspec.field(default=default, name=info.encode_name)
        elif info.default_factory is not msgspec.NODEFAULT:
            spec = msgspec.field(default_factory=info.default_factory, name=info.encode_name)
        else:
            spec = msgspec.field(name=info.encode_name)
        fields.append((info.name, _plain(info.type, done), spec))
    return msgspec.defstruct(
        kind.__name__,
        fields,
        kw_only=True,
        forbid_unknown_fields=kind.__struct_config__.forbid_unknown_fields,
        namespace={"__doc__": kind.__doc__},
    )


def _plain(kind: Any, done: dict[Any, Any]) -> Any:
    """`kind` with its Structs' defaults as plain JSON values.

    msgspec writes each default into the schema with `to_builtins`, which refuses float
    subclasses such as the config's `Duration` defaults; the copies keep names, types
    and docstrings, so the document describes exactly what the API accepts.
    """
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        if kind not in done:
            done[kind] = _plain_struct(kind, done)
        return done[kind]
    origin, args = get_origin(kind), get_args(kind)
    if not args or origin is Literal:
        return kind
    if origin is Annotated:
        return Annotated[(_plain(args[0], done), *kind.__metadata__)]
    new = tuple(_plain(arg, done) for arg in args)
    if origin is list or origin is dict:
        return origin[new]
    return functools.reduce(operator.or_, new)  # a union


def _field_docs(kind: type) -> dict[str, str]:
    """The docstrings written under a class's fields (msgspec leaves them out), by field."""
    docs: dict[str, str] = {}
    for cls in reversed(kind.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError, SyntaxError):
            continue  # builtins, classes made at run time
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for node, after in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _describe_fields(components: dict[str, Any], structs: Iterable[type[msgspec.Struct]]) -> None:
    for kind in structs:
        properties = components.get(kind.__name__, {}).get("properties", {})
        docs = _field_docs(kind)
        for info in msgspec.structs.fields(kind):
            if info.name in docs and info.encode_name in properties:
                properties[info.encode_name].setdefault("description", docs[info.name])


def json_schema(kind: Any) -> dict[str, Any]:
    """A standalone JSON Schema of one type (nested Structs under `$defs`)."""
    done: dict[Any, Any] = {}
    (schema,), components = msgspec.json.schema_components(
        [_plain(kind, done)], schema_hook=_duration_schema, ref_template="#/$defs/{name}"
    )
    _describe_fields(components, done)
    return {**schema, "$defs": components} if components else schema


def _schemas(endpoints: Iterable[Endpoint]) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    done: dict[Any, Any] = {}
    kinds = [ErrorBody]
    kinds += [k for e in endpoints for k in (e.body, e.response) if k is not None]
    unique = list(dict.fromkeys(kinds))
    schemas, components = msgspec.json.schema_components(
        [_plain(kind, done) for kind in unique], schema_hook=_duration_schema, ref_template=_REF
    )
    _describe_fields(components, done)
    return dict(zip(unique, schemas, strict=True)), components


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(spec_path(endpoint.path))
    ]
    for param in endpoint.params:
        kind = "integer" if param.kind is int else "string"
        params.append(
            {
                "name": param.name,
                "in": "query",
                "required": False,
                "description": param.description,
                "schema": {"type": kind},
            }
        )
    return params


def _operation(endpoint: Endpoint, schemas: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(endpoint.status, "OK")}
    if endpoint.response is not None:
        success["content"] = {endpoint.media_type: {"schema": schemas[endpoint.response]}}
    elif endpoint.media_type != "application/json":
        success["content"] = {endpoint.media_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(endpoint.status): success}
    statuses = list(endpoint.errors)
    if endpoint.body is not None:
        statuses += [400, 413]
    if endpoint.role is not None:
        statuses += [401, 403]
    for status in sorted(set(statuses)):
        responses[str(status)] = {
            "description": _STATUS_TEXT[status],
            "content": {"application/json": {"schema": schemas[ErrorBody]}},
        }
    operation: dict[str, Any] = {
        "operationId": operation_id(endpoint),
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": _parameters(endpoint),
        "responses": responses,
        "security": [] if endpoint.role is None else [{"bearer": []}],
    }
    if endpoint.role is not None:
        operation["x-eventyard-role"] = endpoint.role
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[endpoint.body]}},
        }
    return operation


def openapi_document(endpoints: list[Endpoint], version: str) -> dict[str, Any]:
    """The whole document, as plain JSON data."""
    schemas, components = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(spec_path(endpoint.path), {})[endpoint.method.lower()] = _operation(
            endpoint, schemas
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "eventyard API", "version": version, "description": _INTRO},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An eventyard token (`ey_...`), scoped to one workspace.",
                }
            },
        },
        "security": [{"bearer": []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(e.tag for e in endpoints)],
    }
