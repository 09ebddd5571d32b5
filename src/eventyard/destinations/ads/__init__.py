"""Helpers the ad (Conversions API) destinations share; each platform's rules stay in its folder.

- `conversion`: the send-conversion action's fields and readers of the conversion object
- `identifiers`: user_data built from a per-platform table (normalize, hash once, arrays)
- `timing`: event time units and the age window check
- `ldu`: Meta/Snap limited-data-use options
- `sending`: batching within limits, bisecting whole-request rejections, per-event results
- `settings`: checks for base URLs, API versions and ids in URL paths
"""

__all__: list[str] = []
