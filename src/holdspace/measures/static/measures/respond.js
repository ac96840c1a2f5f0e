// Save the answers as they are given, so a closed tab or lost signal loses nothing. One save at
// a time: a change made while a save is on its way is sent right after it, with all answers.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) return;
  var saved = document.querySelector("[data-saved]");
  var answered = document.querySelector("[data-answered]");
  var busy = false, pending = false;
  function count() {
    var names = {};
    form.querySelectorAll("input").forEach(function (el) {
      if ((el.type === "radio" && el.checked) || (el.type === "number" && el.value !== "")) names[el.name] = true;
    });
    answered.textContent = Object.keys(names).length;
  }
  function save() {
    if (busy) { pending = true; return; }
    busy = true; pending = false;
    saved.textContent = form.dataset.textSaving;
    var data = new FormData(form);
    data.set("action", "save");
    fetch(form.getAttribute("action"), {method: "POST", body: data, headers: {"X-Autosave": "1"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (j) { saved.textContent = j.saved ? form.dataset.textSaved : form.dataset.textInvalid; })
      .catch(function () { saved.textContent = form.dataset.textOffline; })
      .then(function () { busy = false; if (pending) save(); });
  }
  form.addEventListener("change", function () { count(); save(); });
})();
