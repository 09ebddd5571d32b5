"""Server-side conversions: canonical events, identity hashing, click IDs, consent, match quality.

Pure functions only (no DB, no HTTP): the pipeline stage `pipeline/conversions` calls them to add
`context.eventyard.conversion` to a copy of each conversion event, and the ad destinations read
that object and hash identifiers per platform with `identity`.
"""

__all__: list[str] = []
