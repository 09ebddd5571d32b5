// The live debugger: follow the server-sent events of /debugger/<source>/stream, put new
// rows on top, expand a row to see its JSON and (fetched on demand) its delivery trace.
// Rows arrive rendered and escaped by the server; this file only moves them around.
(function () {
  "use strict";

  const root = document.querySelector("[data-debugger]");
  if (!root) {
    return;
  }
  const table = root.querySelector("table.events");
  const status = root.querySelector("[data-status]");
  const pause = root.querySelector("[data-pause]");
  const clear = root.querySelector("[data-clear]");
  const empty = root.querySelector("[data-empty]");
  const notice = root.querySelector("[data-notice]");
  const typeFilter = root.querySelector("[data-type-filter]");
  const textFilter = root.querySelector("[data-text-filter]");
  const MAX_ROWS = 500;
  // The first page and the stream may overlap by an event or two: skip those once.
  const initial = new Set(Array.from(table.tBodies, (body) => body.dataset.messageId));
  let paused = false;
  let held = [];
  let reconnecting = null;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function matches(body) {
    const type = typeFilter.value;
    const text = textFilter.value.trim().toLowerCase();
    return (!type || body.dataset.type === type) &&
      (!text || body.dataset.search.toLowerCase().includes(text));
  }

  function applyFilters() {
    for (const body of table.tBodies) {
      body.hidden = !matches(body);
    }
  }

  function insert(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    for (const body of Array.from(template.content.querySelectorAll("tbody"))) {
      if (initial.delete(body.dataset.messageId)) {
        continue;
      }
      body.classList.add("is-new");
      body.hidden = !matches(body);
      table.insertBefore(body, table.tBodies[0] || null);
    }
    while (table.tBodies.length > MAX_ROWS) {
      table.tBodies[table.tBodies.length - 1].remove();
    }
    empty.hidden = table.tBodies.length > 0;
  }

  function loadTrace(body) {
    const box = body.querySelector("[data-trace]");
    box.setAttribute("aria-busy", "true");
    fetch(box.dataset.trace, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then((response) => response.text())
      .then((html) => {
        box.innerHTML = html;
      })
      .catch(() => {
        box.textContent = "Could not load the trace. Check your connection and try again.";
      })
      .finally(() => box.removeAttribute("aria-busy"));
  }

  function toggle(body) {
    const open = !body.classList.contains("is-open");
    body.classList.toggle("is-open", open);
    body.classList.remove("is-new");
    body.querySelector("tr.detail").hidden = !open;
    body.querySelector("tr.summary").setAttribute("aria-expanded", String(open));
    if (open) {
      loadTrace(body);
    }
  }

  table.addEventListener("click", (event) => {
    const refresh = event.target.closest("[data-refresh]");
    if (refresh) {
      loadTrace(refresh.closest("tbody"));
      return;
    }
    const row = event.target.closest("tr.summary");
    if (row) {
      toggle(row.closest("tbody"));
    }
  });
  table.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr.summary");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      toggle(row.closest("tbody"));
    }
  });

  pause?.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      held.forEach(insert);
      held = [];
    }
    pause.textContent = paused ? "Resume" : "Pause";
    setStatus(paused ? "paused" : "live", paused ? "Paused" : "Live");
  });
  clear.addEventListener("click", () => {
    Array.from(table.tBodies).forEach((body) => body.remove());
    empty.hidden = false;
  });
  typeFilter.addEventListener("change", applyFilters);
  textFilter.addEventListener("input", applyFilters);

  // "Load older": append the next page's rows and take its new link (the link itself
  // works without this script, as a plain page).
  root.addEventListener("click", (event) => {
    const link = event.target.closest("[data-older]");
    if (!link) {
      return;
    }
    event.preventDefault();
    link.setAttribute("aria-disabled", "true");
    fetch(link.dataset.older, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then((response) => response.text())
      .then((html) => {
        const template = document.createElement("template");
        template.innerHTML = html;
        const shown = new Set(Array.from(table.tBodies, (body) => body.dataset.messageId));
        for (const body of Array.from(template.content.querySelectorAll("tbody"))) {
          if (!shown.has(body.dataset.messageId)) {
            body.hidden = !matches(body);
            table.appendChild(body);
          }
        }
        empty.hidden = table.tBodies.length > 0;
        const next = template.content.querySelector("[data-older-box]");
        const box = link.closest("[data-older-box]");
        if (next) {
          box.replaceWith(next);
        } else {
          box.textContent = "Could not load older events; reload the page.";
        }
      })
      .catch(() => {
        link.removeAttribute("aria-disabled");
        notice.hidden = false;
        notice.textContent = "Could not load older events. Check your connection and try again.";
      });
  });

  if (!root.dataset.stream) {
    return; // a search: the rows stay as found
  }
  const stream = new EventSource(root.dataset.stream);
  stream.addEventListener("hello", () => {
    clearTimeout(reconnecting);
    reconnecting = null;
    if (!paused) {
      setStatus("live", "Live");
    }
  });
  stream.addEventListener("events", (event) => {
    if (paused) {
      held.push(event.data);
      pause.textContent = "Resume (" + held.length + " waiting)";
    } else {
      insert(event.data);
    }
  });
  stream.addEventListener("skipped", (event) => {
    notice.hidden = false;
    notice.textContent = "Events arrive faster than a browser can follow: " +
      Number(event.data).toLocaleString() + " were skipped. Every event is still delivered " +
      "and traced.";
  });
  stream.addEventListener("error", () => {
    // A stream ends every few seconds on purpose and reconnects at once: only a longer
    // silence is worth showing.
    if (reconnecting === null) {
      reconnecting = setTimeout(() => setStatus("offline", "Reconnecting\u2026"), 3000);
    }
    if (stream.readyState === EventSource.CLOSED) {
      setStatus("offline", "Disconnected \u2014 reload the page");
    }
  });
})();
