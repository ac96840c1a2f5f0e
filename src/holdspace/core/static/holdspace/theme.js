// Dark or light, remembered on this device. Runs in <head> so the page never flashes white
// in a dim room. Without a stored choice the device's own setting decides.
(function () {
  "use strict";
  var KEY = "holdspace-theme";
  var root = document.documentElement;
  var stored = null;
  try { stored = localStorage.getItem(KEY); } catch (e) { /* private mode: follow the device */ }
  if (stored === "dark" || stored === "light") { root.setAttribute("data-theme", stored); }

  function current() {
    var chosen = root.getAttribute("data-theme");
    if (chosen) { return chosen; }
    return window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) { return; }
    function label() {
      // The button names the theme it switches to.
      button.textContent = current() === "dark" ? button.dataset.labelLight : button.dataset.labelDark;
    }
    label();
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* not remembered */ }
      label();
    });
  });
})();
