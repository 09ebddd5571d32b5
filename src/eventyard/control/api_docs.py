"""`/api/openapi.json` and `/api/docs`: the REST API described, for machines and for people.

The docs page is rendered on the server from the OpenAPI document itself (no script, no
external stylesheet), so it works offline and cannot describe a different API than the
one served. Neither needs a token: they describe the API, not anyone's data.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from eventyard.control.api_http import Endpoint

__all__ = ["docs_endpoints", "render_docs"]

_CODE = re.compile(r"`([^`]+)`")


def _prose(text: str) -> Markup:
    """Docstring-style text as paragraphs, with `code` spans."""
    html = Markup("")
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        escaped = str(Markup.escape(" ".join(paragraph.split())))
        html += Markup("<p>{}</p>").format(Markup(_CODE.sub(r"<code>\1</code>", escaped)))
    return html


_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("eventyard.control", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_templates.filters["prose"] = _prose


def _type_markup(schema: dict[str, Any] | None) -> Markup:
    """A schema as a short type, e.g. `array of <a>Trace</a>`, links to the schema section."""
    if not schema:
        return Markup("")
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "anyOf" in schema:
        return Markup(" | ").join(_type_markup(part) for part in schema["anyOf"])
    if "enum" in schema:
        return Markup("one of ") + ", ".join(str(value) for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return Markup("array of ") + _type_markup(schema.get("items"))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return Markup("object of ") + _type_markup(schema["additionalProperties"])
    return Markup.escape(kind)


def _body_schema(part: dict[str, Any]) -> dict[str, Any] | None:
    for media in (part.get("content") or {}).values():
        schema: dict[str, Any] = media.get("schema", {})
        return schema
    return None


def render_docs(document: dict[str, Any]) -> str:
    """The HTML page: operations grouped by tag, then every schema with its properties."""
    tags: dict[str, list[dict[str, Any]]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            tags.setdefault(operation["tags"][0], []).append(
                {"path": path, "method": method.upper(), **operation}
            )
    return _templates.get_template("api_docs.html").render(
        info=document["info"],
        tags=tags,
        schemas=document["components"]["schemas"],
        type_of=_type_markup,
        body_schema=_body_schema,
    )


class _Documents:
    """The OpenAPI document and its page, built once on first use."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self.build = build

    @functools.cached_property
    def json(self) -> bytes:
        return msgspec.json.encode(self.build())

    @functools.cached_property
    def html(self) -> str:
        return render_docs(self.build())

    async def openapi(self, _: Request) -> Response:
        return Response(self.json, media_type="application/json")

    async def docs(self, _: Request) -> Response:
        return HTMLResponse(self.html)


def docs_endpoints(build: Callable[[], dict[str, Any]]) -> list[Endpoint]:
    """The two routes; `build` makes the OpenAPI document."""
    documents = _Documents(build)
    return [
        Endpoint("GET", "/api/openapi.json", documents.openapi, "This OpenAPI document",
                 "documents", role=None, response=dict[str, Any]),
        Endpoint("GET", "/api/docs", documents.docs, "The API reference as a web page",
                 "documents", role=None, media_type="text/html"),
    ]  # fmt: skip
