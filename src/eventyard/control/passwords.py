"""Password hashes: scrypt with a random salt, compared in constant time.

scrypt is in the standard library and memory-hard, so a stolen state.db is expensive to
attack offline. The parameters travel inside each hash, so they can be raised later without
invalidating the hashes already stored.

A hash costs tens of milliseconds of CPU: the server checks passwords with `matches_in_pool`,
in a small pool of threads of its own (hashlib releases the GIL), never on the state
database's thread or the event loop, so a flood of sign-ins cannot hold up the API or
delivery.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "hash_password", "matches_in_pool", "password_matches"]

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_N, _R, _P = 2**14, 8, 1
_LENGTH = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p, dklen=_LENGTH
    )


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash`, base64 parts."""
    salt = os.urandom(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str | None) -> bool:
    """Whether `password` is the one hashed in `stored`; None (no such user) costs the same
    time as a real check and is False, so that timing does not tell which users exist."""
    if stored is None:
        _scrypt(password, b"\0" * 16, _N, _R, _P)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


@cache
def _pool() -> ThreadPoolExecutor:
    """The threads that hash passwords: half the cores at most, so hashing never takes the
    whole machine (the default executor also serves DNS look-ups; this one is apart)."""
    workers = max(1, (os.cpu_count() or 2) // 2)
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eventyard-password")


async def matches_in_pool(password: str, stored: str | None) -> bool:
    """`password_matches`, computed in the password threads while the caller awaits."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), password_matches, password[:MAX_PASSWORD], stored)
