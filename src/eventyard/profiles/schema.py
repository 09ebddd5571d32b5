"""The profile store's tables, for SQLite (and, with other type names, PostgreSQL).

- identifiers: every identifier ever seen: its raw cluster, its profile (NULL when merge
  protection kept it off every profile) and why it is there (event, time, via);
  identifier_types lists the types seen, so that a search can use the (type, value) key.
- links: each distinct identifier set, once, at its first occurrence (graph.py explains why
  that is enough); `profile_id` is where events carrying that set belong.
- events: one row per processed messageId (what makes re-reading a batch a no-op), the
  event's link, its identify traits (kept for replays) and its body (kept
  `events_retention`, for the Profile API and the UI timeline). `arrivals` notes the last
  `seq` of each batch and when it was applied, so that retention drops bodies by a range of
  `seq` without an index on time that every insert would pay for.
- clusters: raw connected parts of the graph and the newest link in each; a part only
  ever replays itself. Identifiers and links carry their cluster; profiles, merges and
  blocks are found through the profile ids of a cluster's identifiers.
- profiles, aliases (merged or replaced ids -> the live id), merges, blocks.
- traits, computed (+ contributions: each event's value for each computed trait).
- accounts, account_traits: groups, keyed by group_id.
- feed, sync_cursors: changes waiting for the warehouses (Profiles Sync).
- offsets: the log position of the consumer, committed with the changes it made.
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "statements"]

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (
    id {serial}, last_ts {real} NOT NULL, last_mid TEXT NOT NULL, links BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS identifiers (
    type TEXT NOT NULL, value TEXT NOT NULL, cluster BIGINT NOT NULL, profile_id TEXT,
    added_at {real}, added_by TEXT, via_type TEXT, via_value TEXT,
    PRIMARY KEY (type, value)){without_rowid};
CREATE INDEX IF NOT EXISTS identifiers_profile ON identifiers (profile_id);
CREATE INDEX IF NOT EXISTS identifiers_cluster ON identifiers (cluster);
CREATE TABLE IF NOT EXISTS identifier_types (type TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS links (
    id {serial}, hash {blob} NOT NULL UNIQUE, cluster BIGINT NOT NULL, profile_id TEXT,
    ts {real} NOT NULL, message_id TEXT NOT NULL, ids TEXT NOT NULL,
    event_type TEXT, event TEXT, source TEXT);
CREATE INDEX IF NOT EXISTS links_profile ON links (profile_id);
CREATE INDEX IF NOT EXISTS links_cluster ON links (cluster);
CREATE TABLE IF NOT EXISTS events (
    seq {serial}, message_id TEXT NOT NULL UNIQUE, link_id BIGINT, ts {real} NOT NULL,
    source TEXT NOT NULL, type TEXT, event TEXT, group_id TEXT, traits TEXT, payload {blob});
CREATE INDEX IF NOT EXISTS events_link ON events (link_id, ts);
CREATE INDEX IF NOT EXISTS events_group ON events (group_id, ts) WHERE group_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS arrivals (last_seq BIGINT PRIMARY KEY, at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
    id TEXT PRIMARY KEY, created_at {real} NOT NULL, created_by TEXT NOT NULL,
    merges INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (old_id TEXT PRIMARY KEY, profile_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_profile ON aliases (profile_id);
CREATE TABLE IF NOT EXISTS merges (
    id {serial}, kept TEXT NOT NULL, merged TEXT NOT NULL, at {real} NOT NULL,
    message_id TEXT NOT NULL, linked TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS merges_kept ON merges (kept);
CREATE TABLE IF NOT EXISTS blocks (
    id {serial}, profile_id TEXT NOT NULL, holder TEXT, at {real} NOT NULL,
    message_id TEXT NOT NULL, dropped_type TEXT NOT NULL, dropped_value TEXT NOT NULL,
    reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_profile ON blocks (profile_id);
CREATE INDEX IF NOT EXISTS blocks_holder ON blocks (holder);
CREATE TABLE IF NOT EXISTS traits (
    profile_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, ts {real} NOT NULL,
    message_id TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (profile_id, key)){without_rowid};
CREATE TABLE IF NOT EXISTS computed (
    profile_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, state TEXT NOT NULL,
    updated_at {real} NOT NULL, PRIMARY KEY (profile_id, key)){without_rowid};
CREATE TABLE IF NOT EXISTS contributions (
    trait TEXT NOT NULL, message_id TEXT NOT NULL, link_id BIGINT NOT NULL,
    ts {real} NOT NULL, value TEXT, PRIMARY KEY (trait, message_id)){without_rowid};
CREATE INDEX IF NOT EXISTS contributions_link ON contributions (trait, link_id);
CREATE INDEX IF NOT EXISTS contributions_ts ON contributions (trait, ts);
CREATE TABLE IF NOT EXISTS accounts (
    group_id TEXT PRIMARY KEY, created_at {real} NOT NULL, first_message_id TEXT NOT NULL,
    first_source TEXT NOT NULL, updated_at {real} NOT NULL, last_message_id TEXT NOT NULL,
    last_source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account_traits (
    group_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, ts {real} NOT NULL,
    message_id TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (group_id, key)){without_rowid};
CREATE TABLE IF NOT EXISTS feed (id {serial}, kind TEXT NOT NULL, row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_cursors (target TEXT PRIMARY KEY, seq BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (part INTEGER PRIMARY KEY, position BIGINT NOT NULL);
"""

_SQLITE = {
    "serial": "INTEGER PRIMARY KEY",
    "real": "REAL",
    "blob": "BLOB",
    "without_rowid": " WITHOUT ROWID",
}
_POSTGRES = {
    "serial": "BIGSERIAL PRIMARY KEY",
    "real": "DOUBLE PRECISION",
    "blob": "BYTEA",
    "without_rowid": "",
}


def statements(dialect: str) -> list[str]:
    """The CREATE statements for `sqlite` or `postgres`, one per list item.

    PostgreSQL text is compared byte-wise (`COLLATE "C"`), as SQLite and Python compare it:
    replays sort links by (time, messageId) and traits compare messageIds, and a locale's
    order would make the result depend on the database's settings."""
    names = _SQLITE if dialect == "sqlite" else _POSTGRES
    text = _DDL.format(**names)
    if dialect != "sqlite":
        text = text.replace(" TEXT", ' TEXT COLLATE "C"')
    return [part.strip() for part in text.split(";") if part.strip()]
