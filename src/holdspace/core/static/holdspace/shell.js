// Small behaviours of the shell, kept out of the pages so the Content-Security-Policy can
// forbid inline script.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  // A link shown once (questionnaire, calendar): one click selects all of it for copying.
  document.querySelectorAll("input[data-link]").forEach(function (input) {
    input.addEventListener("click", function () { input.select(); });
  });
});
