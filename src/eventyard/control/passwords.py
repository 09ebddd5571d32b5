"""Password hashes: scrypt with a random salt, compared in constant time.

scrypt is in the standard library and memory-hard, so a stolen state.db is expensive to
attack offline. The parameters travel inside each hash, so they can be raised later without
invalidating the hashes already stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "hash_password", "password_matches"]

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
