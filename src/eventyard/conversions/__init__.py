"""Server-side conversions: canonical events, identity hashing, click IDs, consent, match quality,
and what conversion delivery remembers.

Most modules are pure functions (no DB, no HTTP): the pipeline stage `pipeline/conversions` calls
them to add `context.eventyard.conversion` to a copy of each conversion event, and the ad
destinations read that object and hash identifiers per platform with `identity`. Three work on
state.db, as plain functions of a sqlite3.Connection inside the caller's transaction: `store`
(remembered click IDs, cross-route dedup, match-quality sums), `ledger` (each conversion routed
or held back) and `compare` (two routes' ledgers side by side, for `eventyard compare`).
"""

__all__: list[str] = []
