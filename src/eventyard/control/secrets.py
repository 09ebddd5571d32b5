"""Secret settings encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

The key comes from the environment (`EVENTYARD_SECRET_KEY`), else from `<data-dir>/secret.key`,
created 0600 on first start. Keeping the key apart from state.db means a copied database
alone reveals no credential. Outside the store a secret is only ever shown as `SECRET_MASK`;
writing the mask back means "keep the stored value".
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from eventyard.errors import ConfigError

__all__ = ["KEY_ENV", "KEY_FILE", "SECRET_MASK", "SecretBox"]

SECRET_MASK = "********"
KEY_ENV = "EVENTYARD_SECRET_KEY"
KEY_FILE = "secret.key"


def _create_key_file(path: Path) -> None:
    """Write a new key atomically, 0600; if another process won the race, keep its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # fails if it exists: never replace a key
    finally:
        temporary.unlink(missing_ok=True)


class SecretBox:
    """Encrypts and decrypts secret values with the data dir's key."""

    def __init__(self, key: bytes, origin: str) -> None:
        try:
            self._fernet = Fernet(key)
            self._mac_key = base64.urlsafe_b64decode(key)[:16]
        except (ValueError, TypeError):
            raise ConfigError(
                f"{origin} is not a secret key (44 characters of url-safe base64); restore the "
                "key the secrets were encrypted with, or remove it to create a new one on an "
                "empty data dir"
            ) from None
        self.origin = origin
        """Where the key came from, for error messages: the env variable or the file."""

    @classmethod
    def load(cls, data_dir: Path) -> SecretBox:
        """The key from `EVENTYARD_SECRET_KEY`, else `<data-dir>/secret.key` (made if missing)."""
        from_env = os.environ.get(KEY_ENV)
        if from_env is not None:
            return cls(from_env.strip().encode(), f"the environment variable {KEY_ENV}")
        path = data_dir / KEY_FILE
        if not path.exists():
            _create_key_file(path)
        try:
            key = path.read_bytes().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the secret key {path}: {error.strerror}") from None
        return cls(key, f"the key file {path}")

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def fingerprint(self, data: bytes) -> str:
        """A keyed digest (HMAC-SHA256 with the key's signing half): tells whether data
        holding secrets changed, without storing anything that guesses could be checked
        against."""
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeError):
            raise ConfigError(
                f"a stored secret cannot be decrypted with the key from {self.origin}: either "
                "the key is not the one the secrets were encrypted with (restore the original "
                f"{KEY_FILE} or {KEY_ENV}) or state.db was modified"
            ) from None

    def __repr__(self) -> str:
        return f"SecretBox(key from {self.origin})"
