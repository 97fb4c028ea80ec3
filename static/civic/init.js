// Progressive enhancement only: every page works without this file.
// Module scripts run only in browsers that GOV.UK Frontend supports (the same test as its
// recommended `'noModule' in HTMLScriptElement.prototype` snippet), and only after the page has been
// parsed, so the class is set here rather than by an inline script, which the CSP would refuse.
import { initAll } from "../build/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Filters folded behind a "Filter" disclosure on a phone stand open beside the results from
// tablet width up (the same breakpoint as GOV.UK Frontend's grid). Without this file they simply
// stay folded, one click away.
if (window.matchMedia("(min-width: 40.0625em)").matches) {
  for (const details of document.querySelectorAll("details[data-civic-open-from-tablet]")) {
    details.open = true;
  }
}
