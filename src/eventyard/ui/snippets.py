"""Copy-paste install code for a source: analytics.js, Python, Node and curl, all pointed at
this server instead of Segment's hosts.

The browser snippet is Segment's standard one (5.2.1) with the CDN host replaced: it queues
calls made before the library loads, then loads
`<origin>/analytics.js/v1/<writeKey>/analytics.min.js` and sets `analytics._cdn`, so that
analytics.js fetches its settings (and through them learns its API host) from this server
on http as well as https. Like Segment's, its script tag carries
`data-global-segment-analytics-key`, which tells analytics.js the global it lives in. It
comes readable and, like Segment's, minified to one line (the same code, whitespace taken
out). Values are JSON/shell-quoted: without `server.public_url` the origin comes from the
request's Host header and must not be able to break out of the code.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import orjson

__all__ = ["Snippet", "install_snippets", "minify"]

_METHODS = [
    *("trackSubmit", "trackClick", "trackLink", "trackForm", "pageview", "identify", "reset"),
    *("group", "track", "ready", "alias", "debug", "page", "screen", "once", "off", "on"),
    *("addSourceMiddleware", "addIntegrationMiddleware", "setAnonymousId"),
    *("addDestinationMiddleware", "register"),
]
"""Calls the stub queues until analytics.js has loaded (those of Segment's snippet)."""


@dataclass(frozen=True, slots=True)
class Snippet:
    key: str
    title: str
    language: str
    hint: str
    code: str
    minified: str | None = None
    """The same code on one line, where people expect that form too (the browser snippet)."""


def _literal(value: object) -> str:
    """A JSON literal: also a valid Python and JavaScript literal, whatever the value holds."""
    return orjson.dumps(value).decode()


def _js(value: object) -> str:
    """A JSON literal that is also safe inside an HTML <script> element."""
    return _literal(value).replace("</", "<\\/")


_JS_SPACE = re.compile(r'"(?:[^"\\]|\\.)*"|\s+')
"""A double-quoted string literal (kept whole) or a run of whitespace (squeezed)."""
_WORD = re.compile(r"[A-Za-z0-9_$]")


def minify(code: str) -> str:
    """`code` on one line: whitespace outside string literals dropped, or one space kept
    between two word characters (`var x`). Enough for our snippet, which is written for it:
    every statement ends in `;`, no comments, no regular expressions."""

    def squeeze(match: re.Match[str]) -> str:
        if not match.group().isspace():
            return match.group()
        before = code[match.start() - 1 : match.start()]
        after = code[match.end() : match.end() + 1]
        return " " if _WORD.match(before) and _WORD.match(after) else ""

    return _JS_SPACE.sub(squeeze, code)


def _browser(origin: str, write_key: str) -> str:
    methods = ",\n      ".join(
        ", ".join(_js(name) for name in _METHODS[i : i + 6]) for i in range(0, len(_METHODS), 6)
    )
    return f"""<script>
  !function () {{
    var globalKey = "analytics";
    var analytics = (window[globalKey] = window[globalKey] || []);
    if (analytics.initialize || analytics.invoked) return;
    analytics.invoked = true;
    analytics.methods = [
      {methods}
    ];
    analytics.factory = function (method) {{
      return function () {{
        var loaded = window[globalKey];
        if (loaded.initialized) {{
          return loaded[method].apply(loaded, arguments);
        }}
        var args = Array.prototype.slice.call(arguments);
        if (["track", "screen", "alias", "group", "page", "identify"].indexOf(method) > -1) {{
          var canonical = document.querySelector("link[rel='canonical']");
          args.push({{
            __t: "bpc", c: (canonical && canonical.getAttribute("href")) || undefined,
            p: location.pathname, u: location.href, s: location.search,
            t: document.title, r: document.referrer
          }});
        }}
        args.unshift(method);
        analytics.push(args);
        return analytics;
      }};
    }};
    for (var i = 0; i < analytics.methods.length; i++) {{
      var name = analytics.methods[i];
      analytics[name] = analytics.factory(name);
    }}
    analytics.load = function (writeKey, options) {{
      var script = document.createElement("script");
      script.type = "text/javascript";
      script.async = true;
      script.setAttribute("data-global-segment-analytics-key", globalKey);
      script.src = analytics._cdn + "/analytics.js/v1/" + writeKey + "/analytics.min.js";
      var first = document.getElementsByTagName("script")[0];
      first.parentNode.insertBefore(script, first);
      analytics._loadOptions = options;
    }};
    analytics._writeKey = {_js(write_key)};
    analytics._cdn = {_js(origin)};
    analytics.SNIPPET_VERSION = "5.2.1";
    analytics.load({_js(write_key)});
    analytics.page();
  }}();
</script>"""


def _python(origin: str, write_key: str) -> str:
    return f"""# pip install segment-analytics-python
import segment.analytics as analytics

analytics.write_key = {_literal(write_key)}
analytics.host = {_literal(origin)}

analytics.identify("user-123", {{"email": "ada@example.com", "plan": "pro"}})
analytics.track("user-123", "Order Completed", {{"order_id": "o-1", "revenue": 42.5}})
analytics.flush()  # before the process exits"""


def _node(origin: str, write_key: str) -> str:
    return f"""// npm install @segment/analytics-node
import {{ Analytics }} from "@segment/analytics-node";

const analytics = new Analytics({{ writeKey: {_literal(write_key)}, host: {_literal(origin)} }});

analytics.identify({{ userId: "user-123", traits: {{ email: "ada@example.com", plan: "pro" }} }});
analytics.track({{
  userId: "user-123",
  event: "Order Completed",
  properties: {{ order_id: "o-1", revenue: 42.5 }},
}});
await analytics.closeAndFlush(); // before the process exits"""


def _curl(origin: str, write_key: str) -> str:
    body = '{"userId": "user-123", "event": "Order Completed", "properties": {"revenue": 42.5}}'
    return (
        f"curl {shlex.quote(origin + '/v1/track')} \\\n"
        f"  -u {shlex.quote(write_key + ':')} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )


def install_snippets(origin: str, write_key: str) -> list[Snippet]:
    """Install code for each kind of client, for this server's `origin` and a write key."""
    browser = _browser(origin, write_key)
    return [
        Snippet(
            "browser",
            "Website (analytics.js)",
            "html",
            "Paste into the <head> of every page. It loads analytics.js from this server and "
            "sends a page view; call analytics.track(...) and analytics.identify(...) as usual.",
            browser,
            minify(browser),
        ),
        Snippet(
            "python",
            "Python",
            "python",
            "Segment's Python library, with host set to this server.",
            _python(origin, write_key),
        ),
        Snippet(
            "node",
            "Node.js",
            "javascript",
            "Segment's Node library, with host set to this server.",
            _node(origin, write_key),
        ),
        Snippet(
            "curl",
            "HTTP (curl)",
            "shell",
            "The tracking API directly: the write key is the Basic auth user name.",
            _curl(origin, write_key),
        ),
    ]
