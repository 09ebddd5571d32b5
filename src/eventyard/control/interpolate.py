"""`${NAME}` in eventyard.yaml string values, replaced from the environment at load.

Credentials then stay out of the file (`api_key: ${MIXPANEL_TOKEN}`), the way Compose and
most deployment tools do it. `$${` writes a literal `${`. An unset variable is an error
naming the key, never an empty string: a silently empty credential fails much later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eventyard.control.problem import ConfigProblem

__all__ = ["escape", "interpolate"]

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_KEY = re.compile(r"[A-Za-z_][\w-]*")


def _key_path(path: str, key: object) -> str:
    text = str(key)
    return f"{path}.{text}" if _PLAIN_KEY.fullmatch(text) else f"{path}.`{text}`"


def _substitute(value: str, path: str, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        whole, name = match.group(0), match.group(1)
        if whole == "$${":
            return "${"
        if name is None:
            raise ConfigProblem(path, "`${` is not closed; write ${NAME}, or $${ for a literal ${")
        if not _NAME.fullmatch(name):
            raise ConfigProblem(
                path, f"${{{name}}} is not a variable name (letters, digits and _ only)"
            )
        if name not in environ:
            raise ConfigProblem(
                path,
                f"environment variable {name} is not set; set it, or write $${{ for a literal ${{",
            )
        return environ[name]

    return _REFERENCE.sub(replace, value)


def interpolate(data: Any, environ: Mapping[str, str], path: str = "$") -> Any:
    """`data` (parsed YAML) with every string value's `${NAME}` replaced; keys stay as they are.

    Raises ConfigProblem with the msgspec-style path of the value.
    """
    if isinstance(data, str):
        return _substitute(data, path, environ) if "${" in data else data
    if isinstance(data, dict):
        return {k: interpolate(v, environ, _key_path(path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, environ, f"{path}[{i}]") for i, v in enumerate(data)]
    return data


def escape(data: Any) -> Any:
    """`data` with every `${` in string values written `$${`, so that `interpolate` gives the
    same strings back (for writing stored values out as a file)."""
    if isinstance(data, str):
        return data.replace("${", "$${")
    if isinstance(data, dict):
        return {k: escape(v) for k, v in data.items()}
    if isinstance(data, list):
        return [escape(v) for v in data]
    return data
