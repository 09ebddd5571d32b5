"""An object's secrets as stored: one Fernet token per secret string, by its document path.

Encrypting each string on its own (not the whole settings) keeps the rest of the document
readable in the database, lets a masked document address exactly which secret it keeps,
and reuses a token when its value did not change, so that re-applying a file changes
nothing on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.documents import KeyPath, get_at, secret_leaves, set_at
from eventyard.control.secrets import SECRET_MASK, SecretBox
from eventyard.errors import ConfigError

__all__ = ["StoredSecrets", "dotted", "restore_masked"]


def dotted(path: KeyPath) -> str:
    """`("settings", "headers", "X-Key")` -> `settings.headers.X-Key`; indices as `[0]`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text.removeprefix(".")


@dataclass(frozen=True, slots=True)
class StoredSecrets:
    tokens: dict[KeyPath, str]

    @classmethod
    def load(cls, text: str) -> StoredSecrets:
        return cls({tuple(path): token for path, token in orjson.loads(text)})

    def dumps(self) -> str:
        return orjson.dumps([[list(path), token] for path, token in self.tokens.items()]).decode()

    def plain(self, box: SecretBox) -> dict[KeyPath, str]:
        return {path: box.decrypt(token) for path, token in self.tokens.items()}

    def seal(self, box: SecretBox, plain: Mapping[KeyPath, str]) -> StoredSecrets:
        """Tokens for `plain`, reusing each stored token whose value is unchanged."""
        known = self.plain(box)
        return StoredSecrets(
            {
                path: self.tokens[path] if known.get(path) == value else box.encrypt(value)
                for path, value in plain.items()
            }
        )

    def reveal(self, box: SecretBox, doc: dict[str, Any]) -> dict[str, Any]:
        """The masked `doc` with its secrets decrypted in place."""
        for path, value in self.plain(box).items():
            if get_at(doc, path) == SECRET_MASK:
                doc = set_at(doc, path, value)
        return doc


def restore_masked(
    key: str,
    doc: dict[str, Any],
    roots: Iterable[KeyPath],
    kept: Mapping[KeyPath, str],
    moved: Sequence[KeyPath] = (),
) -> dict[str, Any]:
    """`doc` with each masked secret replaced by the stored value ("keep it").

    A mask where nothing is stored is a ConfigError: it would otherwise become the secret.
    So is a mask when `moved` names a changed setting that decides where requests go:
    whoever may edit settings but not read secrets could otherwise send the kept ones to
    their own host.
    """
    masked = [path for path in secret_leaves(doc, roots) if get_at(doc, path) == SECRET_MASK]
    for path in masked:
        if path not in kept:
            raise ConfigError(
                f"{key}.{dotted(path)}: the value is masked ({SECRET_MASK}) and none is stored;"
                " give the value (in a file, write it or ${ENV_NAME})"
            )
    if masked and moved:
        raise ConfigError(
            f"{key}.{dotted(moved[0])} changed: set {', '.join(dotted(p) for p in masked)} "
            "again (kept secrets are not sent to a new address)"
        )
    for path in masked:
        doc = set_at(doc, path, kept[path])
    return doc
