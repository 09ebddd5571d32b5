/* eventyard admin: the few behaviours htmx does not cover. No inline scripts anywhere (CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Copy buttons: <button data-copy="element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    var label = button.querySelector("span");
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (!label) return;
      var before = label.textContent;
      label.textContent = "Copied";
      setTimeout(function () { label.textContent = before; }, 1400);
    });
  });

  // [data-tabs]: buttons with role=tab switch between role=tabpanel siblings. Groups may
  // nest (the browser snippet's readable/minified switch inside the Website tab): a group
  // switches its own tabs only.
  function selectTab(tab) {
    var group = tab.closest("[data-tabs]");
    group.querySelectorAll("[role=tab]").forEach(function (other) {
      if (other.closest("[data-tabs]") !== group) return;
      var chosen = other === tab;
      other.setAttribute("aria-selected", chosen ? "true" : "false");
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    });
  }
  document.querySelectorAll("[data-tabs]").forEach(function (group) {
    var first = group.querySelector("[role=tab]");
    if (first) selectTab(first);
  });
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tabs] [role=tab]");
    if (tab) selectTab(tab);
  });

  // <form data-unsaved>: leaving the page after editing it, without submitting, asks first
  // (fields outside the form that name it with form= count too).
  var edited = new Set();
  function markEdited(event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-unsaved")) edited.add(form);
  }
  // A form shown again after a failed save holds what was typed, not what is stored.
  document.querySelectorAll("form[data-unsaved]").forEach(function (form) {
    if (form.querySelector(".has-error")) edited.add(form);
  });
  document.addEventListener("input", markEdited);
  document.addEventListener("change", markEdited);
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) edited.delete(event.target);
  });
  window.addEventListener("beforeunload", function (event) {
    if (edited.size === 0) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // A delivery trace opened outside the debugger (Violations): its Refresh button loads it
  // again into the same pane.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-trace-pane] [data-refresh]");
    if (!button || !window.htmx) return;
    var pane = button.closest("[data-trace-pane]");
    window.htmx.ajax("GET", pane.getAttribute("data-trace-pane"), { target: pane });
  });

  // <form data-confirm="Delete X?"> asks before a destructive plain (non-htmx) submit.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  }, true);
})();
