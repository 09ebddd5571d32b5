"""The admin web pages: server-rendered with Jinja2, enhanced with htmx, no front-end build.

`eventyard.ui.app.ui_routes(ctx)` builds every page route and the static files; pages read
and change configuration through the control plane (`ctx.plane`), exactly like the REST API.
"""

from __future__ import annotations

__all__: list[str] = []
