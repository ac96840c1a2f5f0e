// Dark or light. Runs in <head> so the page never flashes white in a dim room.
// Until a person picks one on this device, the device's own setting decides (and a change of
// that setting, e.g. at dusk, follows at once). The chosen theme is always written to
// <html data-theme>, so the stylesheet has one rule per theme and never mixes the two.
(function () {
  "use strict";
  var KEY = "holdspace-theme";
  var root = document.documentElement;
  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: light)") : null;

  function stored() {
    try {
      var value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) { return null; /* private mode: follow the device */ }
  }
  function device() { return query && query.matches ? "light" : "dark"; }
  function apply() {
    // A page that must stay dark (the session monitor) says so with data-theme-fixed.
    if (root.hasAttribute("data-theme-fixed")) { return; }
    root.setAttribute("data-theme", stored() || device());
  }
  apply();
  if (query && query.addEventListener) { query.addEventListener("change", apply); }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) { return; }
    function label() {
      // The button names the theme it switches to.
      var dark = root.getAttribute("data-theme") === "dark";
      button.textContent = dark ? button.dataset.labelLight : button.dataset.labelDark;
    }
    label();
    if (query && query.addEventListener) { query.addEventListener("change", label); }
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      try { localStorage.setItem(KEY, next); } catch (e) { /* not remembered */ }
      root.setAttribute("data-theme", next);
      label();
    });
  });
})();
