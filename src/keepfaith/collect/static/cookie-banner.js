/* keepfaith cookie banner: built from the statement's cookie declarations.
 *
 * No dependencies. Scripts marked <script type="text/plain" data-category="analytics">
 * stay inert until their category is accepted. The banner itself sets no cookie: the
 * choice is kept in localStorage with the server's receipt id, and asked again when the
 * statement's cookie section changes (its version). A browser sending Global Privacy
 * Control never runs the categories the statement counts as sale or advertising.
 */
(function (config) {
  "use strict";
  var STORE = "keepfaith-consent:" + config.tenant;
  var gpc = navigator.globalPrivacyControl === true;
  var blockedByGpc = gpc ? config.gpcCategories : [];

  function stored() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "null") || {};
    } catch (e) {
      return {};
    }
  }

  function saved() {
    var value = stored();
    return value.version === config.version ? value : null;
  }

  function allowed(category, accepted) {
    if (blockedByGpc.indexOf(category) >= 0) return false;
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

  function record(accepted) {
    var previous = stored();  // keeps the visitor identifier across versions
    var body = JSON.stringify({
      version: config.version,
      accepted: accepted,
      visitor: previous.visitor || null,
      gpc: gpc
    });
    var request = new XMLHttpRequest();
    request.open("POST", config.endpoint);
    request.setRequestHeader("Content-Type", "application/json");
    request.onload = function () {
      if (request.status !== 200) return;
      var receipt = JSON.parse(request.responseText);
      localStorage.setItem(STORE, JSON.stringify({
        version: config.version,
        accepted: accepted,
        visitor: receipt.visitor,
        receipt: receipt.receipt_id
      }));
      document.dispatchEvent(new CustomEvent("keepfaith:consent", { detail: receipt }));
    };
    request.send(body);
  }

  function choose(accepted) {
    accepted = accepted.filter(function (c) { return allowed(c, accepted); });
    var banner = document.getElementById("keepfaith-banner");
    if (banner) banner.parentNode.removeChild(banner);
    runScripts(accepted);
    record(accepted);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text) node.textContent = text;
    return node;
  }

  function lifetime(cookie) {
    if (cookie.duration === "session") return "until you close the browser";
    return cookie.lifetime_days ? cookie.lifetime_days + " days" : "persistent";
  }

  function categoryBlock(category) {
    var box = element("fieldset", { "class": "kf-category" });
    var legend = element("legend");
    var id = "kf-" + category.id;
    var input = element("input", { type: "checkbox", id: id, value: category.id });
    if (category.required) { input.checked = true; input.disabled = true; }
    var gpcBlocked = blockedByGpc.indexOf(category.id) >= 0;
    if (gpcBlocked) input.disabled = true;
    legend.appendChild(input);
    legend.appendChild(element("label", { "for": id }, category.name +
      (gpcBlocked ? " (off: your browser sends Global Privacy Control)" : "")));
    box.appendChild(legend);
    if (category.description) box.appendChild(element("p", {}, category.description));
    var list = element("ul");
    category.cookies.forEach(function (cookie) {
      list.appendChild(element("li", {}, cookie.name + " (" +
        (cookie.party === "third" ? "third party: " + (cookie.provider || "another site")
          : "this site") + ", " + lifetime(cookie) + "): " + cookie.purpose));
    });
    box.appendChild(list);
    return box;
  }

  function buttonRow(buttons) {
    var row = element("p");
    buttons.forEach(function (b) {
      var button = element("button", { type: "button", id: b[0] }, b[1]);
      button.style.marginRight = "1em";
      button.addEventListener("click", b[2]);
      row.appendChild(button);
    });
    return row;
  }

  function show() {
    var banner = element("div", {
      id: "keepfaith-banner", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "keepfaith-banner-title"
    });
    // Through the CSSOM, not a style attribute, so a site's CSP without
    // 'unsafe-inline' styles still shows the banner.
    banner.style.cssText = "position:fixed;bottom:0;left:0;right:0;max-height:80vh;" +
      "overflow:auto;background:#fff;color:#111;border-top:2px solid #333;padding:1em;" +
      "font:16px/1.4 system-ui,sans-serif;z-index:2147483647";
    banner.appendChild(element("h2", { id: "keepfaith-banner-title" }, "Cookies on this site"));
    banner.appendChild(element("p", {}, config.intro));
    var form = element("form");
    config.categories.forEach(function (c) { form.appendChild(categoryBlock(c)); });
    var optional = config.categories.filter(function (c) { return !c.required; })
      .map(function (c) { return c.id; });
    // Accepting and rejecting everything sit side by side, above the details.
    banner.appendChild(buttonRow([
      ["keepfaith-accept", "Accept all", function () { choose(optional); }],
      ["keepfaith-reject", "Reject all", function () { choose([]); }]
    ]));
    banner.appendChild(form);
    banner.appendChild(buttonRow([
      ["keepfaith-save", "Save my choices", function () {
        var checked = form.querySelectorAll("input:checked:not([disabled])");
        choose(Array.prototype.map.call(checked, function (i) { return i.value; }));
      }]
    ]));
    if (config.policyUrl) {
      banner.appendChild(element("a", { href: config.policyUrl }, "Privacy statement"));
    }
    document.body.appendChild(banner);
  }

  function start() {
    var choice = saved();
    runScripts(choice ? choice.accepted : []);  // necessary scripts run regardless
    if (!choice) show();
  }

  window.keepfaithCookies = {
    reopen: function () {
      // Forget the choice, not the visitor: the next choice joins the same history.
      localStorage.setItem(STORE, JSON.stringify({ visitor: stored().visitor || null }));
      if (!document.getElementById("keepfaith-banner")) show();
    },
    config: config
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(/*KEEPFAITH_CONFIG*/);
