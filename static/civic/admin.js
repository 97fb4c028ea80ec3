// Fixes to the widgets Django's admin draws with its own scripts, which axe (WCAG 2.2 A and AA)
// finds: made once those scripts have run. Without JavaScript there are no such widgets, and
// the markup the server sends is right as it is: the fields of a table's rows, for one, are
// named from their column and row on the server (civic.admin_base.rows_labelled).

function fixSelectorTooltips() {
  // The filter of a two-box picker (filter_horizontal) puts aria-label on a plain span, which
  // ARIA does not allow; its title already says the same.
  for (const tooltip of document.querySelectorAll(".selector .help-tooltip[aria-label]")) {
    tooltip.removeAttribute("aria-label");
  }
}

// Django's pickers are drawn on the window's load event; this listener runs after theirs.
window.addEventListener("load", fixSelectorTooltips);
