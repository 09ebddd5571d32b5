"""A page that cannot be shown as asked: raised by handlers, rendered as an error page."""

from __future__ import annotations

__all__ = ["PageError"]


class PageError(Exception):
    """Answered with `status` and a page that says what happened and what to do."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
