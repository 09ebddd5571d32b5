"""Profiles: identity resolution into customer profiles, their traits and computed traits,
the Profile API, the profile pages and Profiles Sync, in the user's own database.

Entry points: `consumer.ProfilesService` (the log consumer), `api.profile_api_routes`,
`eventyard.ui.profiles.profile_ui_routes`; the design is in `graph.py` (why the graph does
not depend on event order) and `schema.py` (what is stored).
"""

from __future__ import annotations

__all__: list[str] = []
