"""The tabs of the Settings section, shared by its pages (each page module imports this, and
`pages_settings` gathers their routes)."""

from __future__ import annotations

__all__ = ["TABS"]

TABS = (
    ("account", "Your account", "/settings/account"),
    ("workspaces", "Workspaces", "/settings/workspaces"),
    ("tokens", "API tokens", "/settings/tokens"),
    ("users", "Users", "/settings/users"),
    ("audit", "Audit log", "/settings/audit"),
)
"""(key, label, path) in the order they are shown."""
