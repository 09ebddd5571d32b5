"""Helpers the ad (Conversions API) destinations share; each platform's rules stay in its folder.

A destination declares its settings (on `settings.AdSettings`), its ConversionSpec and
definition (`definition`), its identifier table and event builder, and a small `post`; these
modules hold the mechanics and the schemes several platforms took over from one another:

- `definition`: ConversionSpec written compactly; the unordered, consent-gated definition
- `settings`: the settings base and its checks (credentials, API versions, base URLs, ids)
- `conversion`: the send-conversion action's fields and readers of the conversion object
- `identifiers`: user_data built from a per-platform table (normalize, hash once, arrays),
  and the platform's minimum identifiers
- `event_names`: each platform's standard event for a canonical conversion, as one table
- `commerce`: value, currency, order id and products in a platform's shape
- `server_event`: Meta's event, user_data and custom_data (Snap and Pinterest took them over)
- `google`: Consent Mode signals and user-provided data rules (GA4 and Google Ads)
- `ldu`: Meta/Snap limited-data-use options
- `timing`: event time units and the age window check
- `sending`: batching within limits, bisecting whole-request rejections, per-event results
- `probe`: test_connection as one page view through the action, in the platform's test mode
"""

__all__: list[str] = []
