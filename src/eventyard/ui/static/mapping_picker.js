// The mappings editor's field picker: choosing a path writes {"@path": "$.<path>"} into the
// field's JSON (which stays editable) and lets the live preview run. Without this script the
// select is submitted with the form and the server reads the picked path the same way.
(function () {
  "use strict";

  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-pick-for]");
    if (!select || !select.value) {
      return;
    }
    const field = document.getElementById(select.dataset.pickFor);
    if (!field) {
      return;
    }
    field.value = JSON.stringify({ "@path": "$." + select.value }, null, 2);
    field.rows = Math.max(field.rows, 3);
    select.value = "";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }, true);
})();
