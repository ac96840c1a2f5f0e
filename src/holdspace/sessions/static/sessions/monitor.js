// The session monitor: entries survive a dropped network, and the page stays live.
//
// Offline-safe: a form marked data-offline is not posted by the browser. Its fields go into
// an outbox in localStorage with a key made here (the Idempotency-Key), shown as "not yet
// saved", and are sent until the server answers. The server stores each key once, so a
// repeat (a retry, a second tab, a reload) saves nothing twice. Closing the tab loses nothing:
// the outbox is sent the next time this session's monitor opens.
//
// Live: the live region is fetched every second with If-None-Match; the server answers 304
// while nothing changed, and otherwise only the parts whose hash differs from those held here
// (X-Live-Have), each placed where it belongs. No animation, no library.
(function () {
  "use strict";
  var root = document.querySelector("[data-session-monitor]");
  if (!root) { return; }
  var targets = root.querySelectorAll("[data-live-target]");
  var outbox = document.getElementById("outbox");
  var net = document.getElementById("net-status");
  var STORE = "holdspace.session-outbox." + root.dataset.sessionId;
  var POLL_MS = 1000, RETRY_MS = 3000;
  var etag = null, flushing = false;
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");

  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : (csrfInput ? csrfInput.value : "");
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function store(list) {
    try { localStorage.setItem(STORE, JSON.stringify(list)); } catch (e) { /* full: kept in memory below */ }
    render(list);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function render(list) {
    var ol = outbox.querySelector("ol");
    ol.textContent = "";
    list.forEach(function (item) {
      var li = document.createElement("li");
      li.dataset.key = item.key;
      var time = new Date(item.at);
      li.textContent = ("0" + time.getHours()).slice(-2) + ":" + ("0" + time.getMinutes()).slice(-2) + " " + item.label;
      var tag = document.createElement("span");
      tag.className = "unsaved";
      tag.textContent = root.dataset.unsavedText;
      li.appendChild(tag);
      ol.appendChild(li);
    });
    outbox.hidden = list.length === 0;
  }
  function summary(form, fields) {
    var parts = [];
    fields.forEach(function (pair) {
      if (pair[0] === "csrfmiddlewaretoken" || pair[0] === "at" || pair[0] === "taken_at" || pair[0] === "kind" || pair[0] === "alert") { return; }
      if (pair[1]) { parts.push(pair[1]); }
    });
    return (form.dataset.label || "") + (parts.length ? ": " + parts.join(" · ") : "");
  }
  function clearErrors(form) {
    form.querySelectorAll(".field-error[data-js]").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
  }
  function showErrors(item, errors) {
    // Put what was typed back into its form, with the server's message beside each field.
    var form = document.querySelector("form[action='" + item.url + "'][data-offline]");
    if (item.fields.some(function (p) { return p[0] === "alert"; })) {
      var alertId = item.fields.filter(function (p) { return p[0] === "alert"; })[0][1];
      form = document.querySelector("[data-alert='" + alertId + "'] form") || form;
    }
    if (!form) { return; }
    item.fields.forEach(function (pair) {
      var input = form.querySelector("[name='" + pair[0] + "']");
      if (input && input.type !== "hidden") { input.value = pair[1]; }
    });
    clearErrors(form);
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector("[data-field='" + name + "']") || form;
      box.classList.add("has-error");
      errors[name].forEach(function (text) {
        var small = document.createElement("small");
        small.className = "field-error";
        small.dataset.js = "1";
        small.setAttribute("role", "alert");
        small.textContent = text;
        if (box === form) { form.insertBefore(small, form.firstChild); } else { box.appendChild(small); }
      });
    });
  }

  function flush() {
    if (flushing) { return; }
    var list = load();
    if (!list.length) { net.textContent = ""; return; }
    flushing = true;
    var item = list[0];
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Idempotency-Key": item.key, "X-Holdspace-Fetch": "1" },
      body: body
    }).then(function (response) {
      if (response.ok || response.status === 422) {
        return response.json().then(function (data) {
          var rest = load().filter(function (other) { return other.key !== item.key; });
          store(rest);
          if (response.status === 422) { showErrors(item, data.errors || {}); }
          else if (root.dataset.status === "preparing" && !rest.length) {
            // Before dosing the checklist of what is missing is not live: show the new state.
            window.location.reload();
            return;
          }
          flushing = false;
          etag = null;
          poll(true);
          flush();
        });
      }
      // Signed out, or refused: keep it, say so, try again later.
      net.textContent = response.status + " — " + root.dataset.unsavedText;
      flushing = false;
    }).catch(function () {
      net.textContent = root.dataset.offlineText;
      flushing = false;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline]") || !root.contains(form)) { return; }
    event.preventDefault();
    var now = new Date().toISOString();
    form.querySelectorAll("[data-now]").forEach(function (input) { input.value = now; });
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { fields.push([name, String(value)]); }
    });
    var list = load();
    list.push({ key: newKey(), url: form.getAttribute("action"), fields: fields, label: summary(form, fields), at: now });
    store(list);
    clearErrors(form);
    form.reset();
    form.querySelectorAll("[data-now]").forEach(function (input) { input.value = ""; });
    flush();
  });

  function busy() {
    // Do not replace the live region under someone's fingers.
    var active = document.activeElement;
    return Array.prototype.some.call(targets, function (target) {
      return active && target.contains(active) && (active.value || "") !== "";
    });
  }
  // Alerts are visual first; a soft tone on a new one only if this device asked for it.
  var SOUND = "holdspace.session-sound";
  var soundToggle = root.querySelector("[data-sound-toggle]");
  var knownAlerts = {};
  root.querySelectorAll("[data-alert]").forEach(function (el) { knownAlerts[el.dataset.alert] = true; });
  if (soundToggle) {
    try { soundToggle.checked = localStorage.getItem(SOUND) === "on"; } catch (e) { /* off */ }
    soundToggle.addEventListener("change", function () {
      try { localStorage.setItem(SOUND, soundToggle.checked ? "on" : "off"); } catch (e) { /* not kept */ }
    });
  }
  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    var audio = new Context();
    var tone = audio.createOscillator(), gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.value = 440;
    gain.gain.value = 0.04;
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.35);
  }
  function noticeAlerts() {
    var fresh = false;
    root.querySelectorAll("[data-alert]").forEach(function (el) {
      if (!knownAlerts[el.dataset.alert]) { knownAlerts[el.dataset.alert] = true; fresh = true; }
    });
    if (fresh && soundToggle && soundToggle.checked) { chime(); }
  }
  function place(html) {
    // Only the parts that changed come back; each replaces its own, the rest stay.
    var holder = document.createElement("template");
    holder.innerHTML = html;
    targets.forEach(function (target) {
      var part = holder.content.querySelector("[data-live-part='" + target.dataset.liveTarget + "']");
      if (!part) { return; }
      target.textContent = "";
      target.appendChild(part);
    });
    noticeAlerts();
  }
  function held() {
    var pairs = [];
    root.querySelectorAll("[data-live-part][data-hash]").forEach(function (part) {
      pairs.push(part.dataset.livePart + "=" + part.dataset.hash);
    });
    return pairs.join(",");
  }
  var timer = null;
  function poll(now) {
    if (timer) { clearTimeout(timer); timer = null; }
    var headers = { "X-Live-Have": held() };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(root.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 200) {
          var status = response.headers.get("X-Session-Status");
          var tag = response.headers.get("ETag");
          return response.text().then(function (html) {
            if (status && status !== root.dataset.status && !load().length) {
              window.location.reload();
              return;
            }
            if (busy()) { return; }
            place(html);
            etag = tag;
          });
        }
      })
      .catch(function () { /* offline: the outbox says so */ })
      .then(function () { timer = setTimeout(poll, POLL_MS); });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { net.textContent = root.dataset.offlineText; });
  setInterval(flush, RETRY_MS);
  render(load());
  flush();
  poll();
})();
