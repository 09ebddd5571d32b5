"""Accounts: one per `groupId`, with the group calls' traits (newest wins) and the first and
last event that named it. Accounts are not resolved like users (a group id is the account);
the user <-> account links come from the group calls themselves (`events.group_id`), so they
follow user merges and replays without being rewritten."""

from __future__ import annotations

from typing import Any

from eventyard.profiles import traits as trait_rows
from eventyard.profiles.events import Seen
from eventyard.profiles.sql import Sql

__all__ = ["apply"]


def apply(sql: Sql, group_id: str, traits: dict[str, Any] | None, seen: Seen) -> None:
    at, message_id = seen.key
    sql.run(
        "INSERT INTO accounts (group_id, created_at, first_message_id, first_source, updated_at, "
        "last_message_id, last_source) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (group_id) DO NOTHING",
        (group_id, at, message_id, seen.source, at, message_id, seen.source),
    )
    sql.run(
        "UPDATE accounts SET created_at = ?, first_message_id = ?, first_source = ? "
        "WHERE group_id = ? AND (created_at > ? OR (created_at = ? AND first_message_id > ?))",
        (at, message_id, seen.source, group_id, at, at, message_id),
    )
    sql.run(
        "UPDATE accounts SET updated_at = ?, last_message_id = ?, last_source = ? "
        "WHERE group_id = ? AND (updated_at < ? OR (updated_at = ? AND last_message_id < ?))",
        (at, message_id, seen.source, group_id, at, at, message_id),
    )
    if traits:
        trait_rows.apply(sql, "account_traits", group_id, traits, seen)
