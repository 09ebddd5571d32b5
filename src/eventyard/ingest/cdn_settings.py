"""What analytics.js fetches from "the CDN": its settings (`GET /v1/projects/<writeKey>/settings`,
segment.md §2.3), pointing it at this server's public origin (ingest.origin).

Only the `Segment.io` integration is listed: any other key would make analytics.js load
"legacy destination" scripts from the CDN. `metrics.sampleRate: 0` stops the `/v1/m`
beacon.
"""

from __future__ import annotations

from typing import Any

__all__ = ["settings_document"]


def settings_document(write_key: str, host: str, scheme: str) -> dict[str, Any]:
    """Points analytics.js back at this server: `apiHost` is `<public host>/v1`."""
    return {
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": f"{host}/v1",
                "protocol": "https" if scheme == "https" else "http",
            }
        },
        "plan": {},
        "metrics": {"sampleRate": 0},
        "remotePlugins": [],
    }
