"""Secrets an older eventyard stored in the clear, sealed at start.

A setting can become a secret in a newer version (the webhook's `headers` did). Documents
written before still hold its values in plain text: readers would show them, and the audit
log keeps them. `seal_plain_secrets` encrypts them the way `write_object` would have, and
masks the audit entries of sources and destinations. Masking is idempotent and a sealed
document has nothing left to seal, so later starts change nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import orjson

from eventyard.control.documents import get_at, mask_secrets, secret_leaves
from eventyard.control.secrets import SECRET_MASK, SecretBox
from eventyard.control.store_secrets import StoredSecrets
from eventyard.control.store_validate import secret_roots

__all__ = ["seal_plain_secrets"]

log = logging.getLogger(__name__)


def _masked(kind: str, text: str | None) -> str | None:
    """An audit document with its secrets masked, or None when nothing changes."""
    if text is None:
        return None
    doc: dict[str, Any] = orjson.loads(text)
    masked = mask_secrets(doc, secret_roots(kind, doc))
    return None if masked == doc else orjson.dumps(masked).decode()


def _mask_audit(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT id, kind, before, after FROM audit_log WHERE kind IN ('source', 'destination')"
    ).fetchall()
    for entry, kind, before, after in rows:
        new_before, new_after = _masked(kind, before), _masked(kind, after)
        if new_before is not None or new_after is not None:
            conn.execute(
                "UPDATE audit_log SET before = ?, after = ? WHERE id = ?",
                (new_before or before, new_after or after, entry),
            )


def seal_plain_secrets(conn: sqlite3.Connection, box: SecretBox) -> None:
    """Encrypt every secret a stored object holds in the clear, and mask the audit log."""
    sealed: list[str] = []
    rows = conn.execute(
        "SELECT kind, name, doc, secrets FROM objects WHERE kind IN ('source', 'destination')"
    ).fetchall()
    for kind, name, text, tokens in rows:
        doc: dict[str, Any] = orjson.loads(text)
        roots = secret_roots(kind, doc)
        plain = {
            path: value
            for path in secret_leaves(doc, roots)
            if (value := get_at(doc, path)) != SECRET_MASK
        }
        if not plain:
            continue
        kept = StoredSecrets.load(tokens)
        renewed = StoredSecrets({**kept.tokens, **{p: box.encrypt(v) for p, v in plain.items()}})
        conn.execute(
            "UPDATE objects SET doc = ?, secrets = ? WHERE kind = ? AND name = ?",
            (orjson.dumps(mask_secrets(doc, roots)).decode(), renewed.dumps(), kind, name),
        )
        sealed.append(f"{kind}s.{name}")
    if sealed:
        _mask_audit(conn)
        log.info("encrypted secrets an older eventyard stored in the clear: %s", ", ".join(sealed))
