"""`eventyard export`: one workspace's sources and destinations (and tracking plans and
transformations, when it has any) as eventyard.yaml.

Secrets are written as the mask, which `eventyard apply` reads as "keep the stored value",
and a literal `${` as `$${`, so an export can be committed to a repository and applied back
as a no-op.
"""

from __future__ import annotations

import sqlite3

import yaml

from eventyard.control.interpolate import escape
from eventyard.control.secrets import SECRET_MASK
from eventyard.control.store import list_objects
from eventyard.control.store_protocols import PROTOCOL_SECTIONS
from eventyard.control.workspaces import require_workspace

__all__ = ["export_yaml"]


def export_yaml(conn: sqlite3.Connection, workspace: str) -> str:
    require_workspace(conn, workspace)
    data = {
        "sources": [escape(obj.doc) for obj in list_objects(conn, "source", workspace)],
        "destinations": [escape(obj.doc) for obj in list_objects(conn, "destination", workspace)],
    }
    for kind, section in PROTOCOL_SECTIONS.items():  # only when there are any
        if found := [escape(obj.doc) for obj in list_objects(conn, kind, workspace)]:
            data[section] = found
    header = (
        f"# Sources and destinations of eventyard workspace {workspace!r} (eventyard export).\n"
        f"# Secrets show as {SECRET_MASK}: `eventyard apply` keeps their stored values; write\n"
        "# a value, or ${ENV_NAME}, to change one.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return header + body
