/* keepfaith cookie banner, built from the statement's cookie declarations.
 *
 * No dependencies. A compact first layer (accept all, reject all, preferences) and a
 * second layer with each category and its cookies. Scripts marked
 * <script type="text/plain" data-category="analytics"> stay inert until their category
 * is accepted AND the server has recorded the choice: if saving fails the banner shows
 * itself again and nothing optional runs. The banner sets no cookie: the choice is kept
 * in localStorage with the server's receipt id, and asked again when the statement's
 * cookie section changes materially (its version). Under Global Privacy Control the
 * categories the signal refuses are never offered; with nothing left to ask, no banner.
 * Every string comes from the server (config.text), in the visitor's language.
 */
(function (config) {
  "use strict";
  var T = config.text;
  var STORE = "keepfaith-consent:" + config.tenant;
  var gpc = navigator.globalPrivacyControl === true;
  var refused = gpc ? config.gpcCategories : [];
  var optional = config.categories.filter(function (c) {
    return !c.required && refused.indexOf(c.id) < 0;
  }).map(function (c) { return c.id; });
  var root, bar, overlay, error, opener;

  function stored() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "null") || {};
    } catch (e) {
      return {};
    }
  }

  function keep(value) {
    try { localStorage.setItem(STORE, JSON.stringify(value)); } catch (e) { /* asked again */ }
  }

  function allowed(category, accepted) {
    if (refused.indexOf(category) >= 0) return false;
    return category === "necessary" || accepted.indexOf(category) >= 0;
  }

  function runScripts(accepted) {
    var inert = document.querySelectorAll('script[type="text/plain"][data-category]');
    Array.prototype.forEach.call(inert, function (old) {
      if (!allowed(old.getAttribute("data-category"), accepted)) return;
      var script = document.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (a) {
        if (a.name !== "type") script.setAttribute(a.name, a.value);
      });
      script.text = old.text;
      old.parentNode.replaceChild(script, old);
    });
  }

  function record(accepted, done, failed) {
    var request = new XMLHttpRequest();
    request.open("POST", config.endpoint);
    request.setRequestHeader("Content-Type", "application/json");
    request.timeout = 15000;
    request.onload = function () {
      var receipt;
      try { receipt = request.status === 200 && JSON.parse(request.responseText); } catch (e) { }
      if (!receipt) return failed();
      keep({ version: config.version, accepted: accepted, visitor: receipt.visitor,
        receipt: receipt.receipt_id });
      done(receipt);
    };
    request.onerror = request.ontimeout = failed;
    request.send(JSON.stringify({ version: config.version, accepted: accepted,
      visitor: stored().visitor || null, gpc: gpc }));
  }

  function clear(accepted) {
    // Cookies of a category no longer accepted are deleted (those this page can reach).
    var host = location.hostname, parent = host.replace(/^[^.]+\./, "");
    config.categories.forEach(function (c) {
      if (allowed(c.id, accepted)) return;
      c.cookies.forEach(function (k) {
        ["", "; domain=" + host, "; domain=." + parent].forEach(function (domain) {
          document.cookie = k.name + "=; max-age=0; path=/" + domain;
        });
      });
    });
  }

  function choose(accepted) {
    accepted = accepted.filter(function (c) { return allowed(c, accepted); });
    root.hidden = true;
    record(accepted, function (receipt) {
      close();
      clear(accepted);
      runScripts(accepted);
      document.dispatchEvent(new CustomEvent("keepfaith:consent", { detail: receipt }));
    }, function () {
      // Not saved: say so, ask again, run nothing optional.
      root.hidden = false;
      layer(1);
      error.hidden = false;
      error.focus();
    });
  }

  function el(tag, attributes, text, parent) {
    var node = document.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function fill(template, n) { return template.replace("{n}", n); }

  function buttons(parent, list) {
    var row = el("div", { "class": "kf-buttons" }, "", parent);
    list.forEach(function (b) {
      el("button", { type: "button", id: b[0], "class": "kf-btn" + (b[3] || "") }, b[1], row)
        .addEventListener("click", b[2]);
    });
  }

  function category(c, parent, accepted) {
    var box = el("div", { "class": "kf-cat" }, "", parent);
    var label = el("label", { "for": "kf-" + c.id }, "", box);
    var input = el("input", { type: "checkbox", id: "kf-" + c.id, value: c.id }, "", label);
    label.appendChild(document.createTextNode(c.name));
    var off = refused.indexOf(c.id) >= 0;
    input.checked = c.required || (!off && accepted.indexOf(c.id) >= 0);
    input.disabled = c.required || off;
    if (c.required || off) el("p", { "class": "kf-note" }, c.required ? T.alwaysOn : T.gpcOff, box);
    el("p", {}, c.description, box);
    var details = el("details", {}, "", box);
    el("summary", {}, fill(T.cookies, c.cookies.length), details);
    var table = el("table", { "class": "kf-cookies" }, "", details);
    var head = el("tr", {}, "", el("thead", {}, "", table));
    [T.cookie, T.setBy, T.lasts, T.purpose].forEach(function (h) {
      el("th", { scope: "col" }, h, head);
    });
    var body = el("tbody", {}, "", table);
    c.cookies.forEach(function (k) {
      var row = el("tr", {}, "", body);
      el("td", {}, k.name, row);
      el("td", {}, k.party === "third" ? k.provider || T.thirdParty : T.thisSite, row);
      el("td", {}, k.duration === "session" ? T.session
        : k.lifetime_days ? fill(T.days, k.lifetime_days) : T.persistent, row);
      el("td", {}, k.purpose, row);
    });
  }

  function layer(n) {
    bar.hidden = n !== 1;
    overlay.hidden = n !== 2;
    (n === 1 ? bar : overlay.querySelector("input:not([disabled]), button")).focus();
  }

  function close() {
    if (root && root.parentNode) root.parentNode.removeChild(root);
    root = null;
    if (opener && opener.focus) opener.focus();
  }

  function trap(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (stored().version === config.version) close(); else layer(1);
    } else if (event.key === "Tab") {
      var all = overlay.querySelectorAll("button, input:not([disabled]), summary, a[href]");
      var first = all[0], last = all[all.length - 1];
      if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
      else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
    }
  }

  function build(start) {
    if (root) return layer(start);
    var accepted = stored().accepted || [];
    opener = document.activeElement;
    root = el("div", { id: "keepfaith-banner", lang: config.lang });
    bar = el("div", { "class": "kf-bar", role: "dialog", "aria-modal": "false", tabindex: "-1",
      "aria-labelledby": "kf-title", "aria-describedby": "kf-intro" }, "", root);
    el("h2", { id: "kf-title" }, T.title, bar);
    var changed = stored().version && stored().version !== config.version;
    var intro = el("p", { id: "kf-intro" }, (changed ? T.changed + " " : "") + T.intro +
      (refused.length ? " " + T.gpcNote : "") + " ", bar);
    if (config.policyUrl) el("a", { href: config.policyUrl }, T.policy, intro);
    error = el("p", { "class": "kf-error", role: "alert", tabindex: "-1", hidden: "" }, T.error, bar);
    buttons(bar, [
      ["keepfaith-accept", T.acceptAll, function () { choose(optional); }],
      ["keepfaith-reject", T.rejectAll, function () { choose([]); }],
      ["keepfaith-preferences", T.preferences, function () { layer(2); }, " kf-alt"]
    ]);
    overlay = el("div", { "class": "kf-overlay", hidden: "" }, "", root);
    var prefs = el("div", { "class": "kf-prefs", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "kf-prefs-title" }, "", overlay);
    var head = el("div", { "class": "kf-head" }, "", prefs);
    el("h2", { id: "kf-prefs-title" }, T.prefsTitle, head);
    el("button", { type: "button", "class": "kf-close", "aria-label": T.close }, "\u00d7", head)
      .addEventListener("click", function () { trap({ key: "Escape", preventDefault: function () { } }); });
    var body = el("div", { "class": "kf-body" }, "", prefs);
    el("p", {}, T.prefsIntro, body);
    config.categories.forEach(function (c) { category(c, body, accepted); });
    buttons(el("div", { "class": "kf-foot" }, "", prefs), [
      ["keepfaith-prefs-accept", T.acceptAll, function () { choose(optional); }],
      ["keepfaith-prefs-reject", T.rejectAll, function () { choose([]); }],
      ["keepfaith-save", T.save, function () {
        var on = body.querySelectorAll("input:checked:not([disabled])");
        choose(Array.prototype.map.call(on, function (i) { return i.value; }));
      }, " kf-alt"]
    ]);
    overlay.addEventListener("keydown", trap);
    root.hidden = true;
    document.body.appendChild(root);
    styled(function () { root.hidden = false; layer(start); });
  }

  function styled(then) {
    // The stylesheet is a file from keepfaith's origin, so a site's CSP needs no
    // 'unsafe-inline'; the banner waits for it (or its failure) to avoid a flash.
    if (!config.styleUrl || document.getElementById("keepfaith-style")) return then();
    var link = el("link", { id: "keepfaith-style", rel: "stylesheet", href: config.styleUrl });
    link.onload = link.onerror = then;
    document.head.appendChild(link);
  }

  function start() {
    var choice = stored();
    var current = choice.version === config.version;
    runScripts(current ? choice.accepted : []);  // necessary scripts run regardless
    if (current) return;
    if (optional.length) return build(1);
    // Nothing left to ask: GPC refused every optional category. Record that, silently.
    if (refused.length) record([], function () { }, function () { });
  }

  window.keepfaithCookies = {
    // Change one's mind: the preferences, with the current choice ticked.
    reopen: function () { build(2); },
    config: config
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(/*KEEPFAITH_CONFIG*/);
