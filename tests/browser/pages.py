"""A customer's web page carrying Segment's standard analytics.js snippet (v5.2.1 behaviour),
with the CDN host replaced by eventyard's, as a user would paste it.

The snippet is written out readably here; what it does is what Segment's docs show: a queue
stub whose calls carry the page context at call time (`__t: "bpc"`), and `load(key)`
inserting `<cdn>/analytics.js/v1/<key>/analytics.min.js` before the first script.
"""

from __future__ import annotations

import html

__all__ = ["SNIPPET_TEMPLATE", "shop_page", "snippet"]

SNIPPET_TEMPLATE = """<script>
!function () {
  var key = "analytics";
  var analytics = window[key] = window[key] || [];
  if (analytics.initialize) return;
  if (analytics.invoked) {
    window.console && console.error && console.error("Segment snippet included twice.");
    return;
  }
  analytics.invoked = true;
  analytics.methods = ["trackSubmit", "trackClick", "trackLink", "trackForm", "pageview",
    "identify", "reset", "group", "track", "ready", "alias", "debug", "page", "screen", "once",
    "off", "on", "addSourceMiddleware", "addIntegrationMiddleware", "setAnonymousId",
    "addDestinationMiddleware", "register"];
  analytics.factory = function (method) {
    return function () {
      if (window[key].initialized) return window[key][method].apply(window[key], arguments);
      var args = Array.prototype.slice.call(arguments);
      if (["track", "screen", "alias", "group", "page", "identify"].indexOf(method) > -1) {
        var canonical = document.querySelector("link[rel='canonical']");
        args.push({__t: "bpc", c: canonical && canonical.getAttribute("href") || undefined,
          p: location.pathname, u: location.href, s: location.search, t: document.title,
          r: document.referrer});
      }
      args.unshift(method);
      analytics.push(args);
      return analytics;
    };
  };
  for (var i = 0; i < analytics.methods.length; i++) {
    var name = analytics.methods[i];
    analytics[name] = analytics.factory(name);
  }
  analytics.load = function (writeKey, options) {
    var script = document.createElement("script");
    script.type = "text/javascript";
    script.async = true;
    script.setAttribute("data-global-segment-analytics-key", key);
    script.src = "__CDN__/analytics.js/v1/" + writeKey + "/analytics.min.js";
    var first = document.getElementsByTagName("script")[0];
    first.parentNode.insertBefore(script, first);
    analytics._loadOptions = options;
  };
  analytics._writeKey = "__WRITE_KEY__";
  analytics.SNIPPET_VERSION = "5.2.1";
  analytics.load("__WRITE_KEY__");
  analytics.page();
}();
</script>"""


def snippet(cdn: str, write_key: str) -> str:
    """The snippet with Segment's `https://cdn.segment.com` replaced by `cdn` (an origin)."""
    return SNIPPET_TEMPLATE.replace("__CDN__", cdn).replace("__WRITE_KEY__", write_key)


def shop_page(head_snippet: str, title: str = "Checkout - Test Shop") -> bytes:
    """A page with the snippet in its head and two buttons that call analytics.js."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
{head_snippet}
</head>
<body>
<h1>Test Shop</h1>
<button id="buy" onclick="analytics.track('Button Clicked', {{
  button: 'buy', plan: 'pro', price: 49.5, tags: ['a', 'b'], nested: {{level: 2}}
}})">Buy</button>
<button id="sign-in" onclick="analytics.identify('user-42', {{
  email: 'ada@example.com', name: 'Ada Lovelace'
}})">Sign in</button>
</body>
</html>""".encode()
