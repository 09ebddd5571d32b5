"""Settings > Audit log: who changed what, when, with a before/after diff per entry.

Documents in the audit log are stored masked, so a diff can never show a secret; a changed
secret shows as a changed line with the mask on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control import audit
from eventyard.control.context import ServerContext
from eventyard.ui.session import UiUser, require
from eventyard.ui.settings_tabs import TABS
from eventyard.ui.templating import render

__all__ = ["Change", "audit_routes", "diff", "flatten"]

PAGE = 50
_MISSING = "—"


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: str
    after: str


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}, "c": [2]}` -> `{"a.b": 1, "c[0]": 2}`; empty containers stay as they are."""
    if isinstance(doc, dict) and doc:
        flat: dict[str, Any] = {}
        for key, value in doc.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(doc, list) and doc:
        flat = {}
        for index, value in enumerate(doc):
            flat.update(flatten(value, f"{prefix}[{index}]"))
        return flat
    return {prefix or "(value)": doc}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The values that differ, by dotted path, in the order they appear."""
    old, new = flatten(before or {}), flatten(after or {})
    changes = []
    for path in dict.fromkeys([*old, *new]):
        if path == "(value)":
            continue
        if path not in old or path not in new or old[path] != new[path]:
            changes.append(
                Change(
                    path,
                    _shown(old[path]) if path in old else _MISSING,
                    _shown(new[path]) if path in new else _MISSING,
                )
            )
    return changes


@require("viewer")
async def audit_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    text = request.query_params.get("before", "")
    before_id = int(text) if text.isdigit() and len(text) < 18 else None
    entries = await ctx.state.run(
        partial(audit.list_entries, workspace=user.workspace, limit=PAGE, before_id=before_id)
    )
    rows = [{"entry": entry, "changes": diff(entry.before, entry.after)} for entry in entries]
    context = {
        "title": "Settings",
        "tabs": TABS,
        "tab": "audit",
        "rows": rows,
        "older": entries[-1].id if len(entries) == PAGE else None,
        "paged": before_id is not None,
    }
    return render(request, "settings_audit.html", context)


def audit_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [Route("/settings/audit", audit_page(ctx), methods=["GET"])]
