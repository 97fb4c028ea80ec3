// Fixes to the widgets Django's admin draws with its own scripts, which axe (WCAG 2.2 A and AA)
// finds: made once those scripts have run. Every page works without this file; without scripts
// there are no such widgets to fix, except the fields of a table, named here from their column.

function nameTableFields() {
  // An editable list (list_editable) and a tabular inline head each column, but give the fields
  // in its rows no label: each gets its column's heading and its row number.
  for (const table of document.querySelectorAll("#result_list, .tabular table")) {
    table.querySelectorAll("tbody tr").forEach((row, index) => {
      for (const field of row.querySelectorAll("input:not([type=hidden]), select, textarea")) {
        if (field.labels?.length || field.hasAttribute("aria-label") || !field.name) continue;
        const name = field.name.split("-").pop();
        const heading = table.querySelector(`thead th.column-${CSS.escape(name)}`);
        const words = heading ? heading.textContent.trim() : name === "DELETE" ? "Delete" : name;
        field.setAttribute("aria-label", `${words} (row ${index + 1})`);
      }
    });
  }
}

function fixSelectorTooltips() {
  // The filter of a two-box picker (filter_horizontal) puts aria-label on a plain span, which
  // ARIA does not allow; its title already says the same.
  for (const tooltip of document.querySelectorAll(".selector .help-tooltip[aria-label]")) {
    tooltip.removeAttribute("aria-label");
  }
}

// Django's pickers are drawn on the window's load event; this listener runs after theirs.
window.addEventListener("load", () => {
  nameTableFields();
  fixSelectorTooltips();
});
