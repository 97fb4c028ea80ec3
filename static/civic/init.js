// Progressive enhancement only: every page works without this file.
// Module scripts run only in browsers that GOV.UK Frontend supports (the same test as its
// recommended `'noModule' in HTMLScriptElement.prototype` snippet), and only after the page has been
// parsed, so the class is set here rather than by an inline script, which the CSP would refuse.
import { initAll } from "../build/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
