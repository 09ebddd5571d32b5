"""No credential in a log line: the HTTP client libraries' own logging, redacted.

httpx logs every request at INFO with its full URL (`HTTP Request: POST https://...`), and
httpcore logs connection steps at DEBUG. Some destinations carry their credential in the
URL (GA4's `api_secret` query parameter, a Slack webhook's path), so each URL in those
records is shown the way delivery errors show it (`shown_url`): no query string, no user
info, credential-like path segments as `…`.
"""

from __future__ import annotations

import logging
import re

from eventyard.delivery.http import shown_url

__all__ = ["HTTP_LOGGERS", "RedactUrls", "redact_http_logs"]

HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""The loggers httpx and httpcore write to (a logger's filter sees only its own records)."""

_URL = re.compile(r"""[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+""")


class RedactUrls(logging.Filter):
    """Rewrites a record's message with every URL in it redacted; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _URL.sub(lambda found: shown_url(found.group(0)), message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = RedactUrls()


def redact_http_logs() -> None:
    """Install the redaction on the HTTP loggers (once; calling again changes nothing).

    httpx's one INFO line per request is kept only when the operator asked for DEBUG: at
    hundreds of deliveries a second it floods the log, and formatting and redacting each
    line cost about 90 us of the server's one event loop (measured at 500 events/s).
    """
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    requests = logging.getLogger("httpx")
    if requests.level == logging.NOTSET and logging.getLogger().level > logging.DEBUG:
        requests.setLevel(logging.WARNING)
