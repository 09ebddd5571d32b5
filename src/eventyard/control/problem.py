"""`ConfigProblem`: what a configuration check found, before anyone says where.

A check knows the key path (`$.destinations[0].settings.url`) but not how the user wrote
the configuration: `parse_config` adds the file and line, the config store names the
object instead of its index. Both end as one `ConfigError`.
"""

from __future__ import annotations

__all__ = ["ConfigProblem"]


class ConfigProblem(Exception):
    """The msgspec-style `path` of the bad value and what is wrong with it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
