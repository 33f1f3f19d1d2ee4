// Starts GOV.UK Frontend's enhancements. A module file rather than the
// template's inline script, which the Content-Security-Policy forbids;
// the pages work without it.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
