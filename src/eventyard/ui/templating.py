"""The Jinja2 environment and `render`, which gives every page what base.html needs.

Autoescaping is always on and undefined names are errors (a typo in a template fails its
test instead of rendering blank). Pages are sent with a Content-Security-Policy that allows
only this origin's scripts: no inline <script> in templates; put code in /ui/static.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import orjson
import yaml
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from eventyard.control.invitations import install_admin
from eventyard.ui.problems import PageError

__all__ = [
    "NAV",
    "NOTICES",
    "NavItem",
    "ago",
    "as_yaml",
    "environment",
    "plural",
    "pretty_json",
    "render",
    "render_error",
]

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    icon: str
    """The name of an inline SVG symbol in base.html."""
    install_admin: bool = False
    """Listed only for install admins: the page answers 403 to everyone else."""

    def active(self, path: str) -> bool:
        if self.href == "/":
            return path == "/"
        return path == self.href or path.startswith(self.href + "/")


NOTICES = {
    "created": "Created.",
    "saved": "Saved.",
    "deleted": "Deleted.",
    "rotated": "New write key created. The old key no longer works: update your SDKs.",
    "revoked": "Token revoked. It no longer works.",
    "added": "User added.",
    "invited": "Invitation saved. Once signed in, they accept it under Settings > Workspaces.",
    "withdrawn": "Invitation withdrawn.",
    "joined": "Invitation accepted: the workspace is in your list.",
    "declined": "Invitation declined.",
}
"""Messages a redirect may ask for with `?done=<key>` (keys only: no text from the URL)."""

NAV = (
    NavItem("Overview", "/", "home"),
    NavItem("Sources", "/sources", "source"),
    NavItem("Destinations", "/destinations", "destination"),
    NavItem("Catalog", "/catalog", "catalog"),
    NavItem("Protocols", "/protocols", "catalog"),
    NavItem("Profiles", "/profiles", "profile", install_admin=True),
    NavItem("Debugger", "/debugger", "debugger"),
    NavItem("Delivery", "/delivery", "delivery"),
    NavItem("Dead letters", "/deadletters", "dead"),
    NavItem("Settings", "/settings", "settings"),
)


def ago(at: float | None, now: float | None = None) -> str:
    """ "3 min ago": short, for tables; the exact time goes in a title attribute."""
    if at is None:
        return "never"
    seconds = max(0, int((time.time() if now is None else now) - at))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def when(at: float | None) -> str:
    """The exact UTC time, e.g. "2024-05-01 12:00:00 UTC"."""
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 schema", "2 schemas", "1,200 attempts": the count with the word in the right form."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def pretty_json(value: Any) -> str:
    """Indented JSON for <pre> blocks (escaped by autoescaping like any other text)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()


_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """Docstring-style `code` spans as <code> (descriptions come from field docstrings)."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))


def as_yaml(value: Any) -> str:
    """A document as the eventyard.yaml entry a user would write (keys in document order)."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _attr_json(value: Any) -> Markup:
    """JSON for an HTML attribute value in single quotes (hx-headers, hx-vals)."""
    text = orjson.dumps(value).decode()
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return Markup(text)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ago=ago,
        when=when,
        plural=plural,
        pretty_json=pretty_json,
        attr_json=_attr_json,
        inline_code=inline_code,
        yaml=as_yaml,
    )
    return env


_ENV = environment()


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in user, their workspace, the nav and the CSRF token."""
    user = getattr(request.state, "ui_user", None)
    admin = user is not None and install_admin(user.workspaces)
    page = {
        "request": request,
        "path": request.url.path,
        "user": user,
        "workspace": user.workspace if user is not None else None,
        "nav": [item for item in NAV if not item.install_admin or admin],
        "csrf_token": user.csrf_token if user is not None else "",
        "can_write": user is not None and user.can_write(),
        "can_admin": user is not None and user.can_admin(),
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    html = _ENV.get_template(template).render({**page, **context})
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def render_error(request: Request, error: PageError) -> HTMLResponse:
    """An error page in the normal frame, or just the message for an htmx request (base.html
    tells htmx to swap error answers in, so the message appears where the result would)."""
    context = {"title": error.title, "message": error.message, "status": error.status}
    partial = request.headers.get("hx-request") == "true"
    return render(request, "_error.html" if partial else "error.html", context, error.status)
