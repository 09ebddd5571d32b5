"""Roles and the principal a request acts as.

viewer reads; editor also changes configuration and retries; owner also manages tokens
and users. A principal is always scoped to one workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from eventyard.errors import ConfigError

__all__ = ["ROLES", "Principal", "Role", "check_role"]

Role = Literal["owner", "editor", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request, in which workspace, with which role."""

    actor: str
    """`token:<name>` or `user:<email>`, as written to the audit log."""
    workspace: str
    role: Role

    def can_write(self) -> bool:
        return self.role in ("editor", "owner")

    def can_admin(self) -> bool:
        return self.role == "owner"


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise ConfigError(f"role {role!r} is not one of: {', '.join(ROLES)}")
