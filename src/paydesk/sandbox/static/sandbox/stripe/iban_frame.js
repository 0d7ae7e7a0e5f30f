/*
 * The sandbox's IBAN frame (Stripe.js's iban Element, inside the iframe on the merchant's page).
 * The IBAN leaves this frame only in the POST to the sandbox's /v1/payment_methods
 * (type=sepa_debit, publishable key); the merchant's page gets the pm_… id or an error.
 */
(function () {
  "use strict";

  var SOURCE = "paydesk-sandbox-stripe";
  var root = document.getElementById("iban-fields");
  if (!root || window.parent === window) {
    return;
  }
  var apiUrl = root.getAttribute("data-api-url");
  var key = root.getAttribute("data-key");
  var parentOrigin = root.getAttribute("data-parent-origin");
  var apiVersion = root.getAttribute("data-api-version");
  var ADDRESS = ["line1", "line2", "city", "postal_code", "state", "country"];
  var input = document.getElementById("iban");

  function tell(message) {
    message.source = SOURCE;
    window.parent.postMessage(message, parentOrigin);
  }

  function value() {
    return String(input.value || "").replace(/\s/g, "").toUpperCase();
  }

  function changed() {
    var iban = value();
    tell({ action: "change", event: {
      elementType: "iban", empty: !iban, complete: iban.length >= 15,
      country: iban.slice(0, 2), error: undefined,
    } });
  }
  input.addEventListener("input", changed);

  function createPaymentMethod(request) {
    var details = request.billing_details || {};
    var body = new URLSearchParams();
    body.set("type", "sepa_debit");
    body.set("sepa_debit[iban]", value());
    body.set("billing_details[name]", details.name || "");
    body.set("billing_details[email]", details.email || "");
    var address = details.address || {};
    ADDRESS.forEach(function (name) {
      if (address[name]) {
        body.set("billing_details[address][" + name + "]", address[name]);
      }
    });
    body.set("key", key);
    var headers = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    if (apiVersion) {
      headers["Stripe-Version"] = apiVersion;
    }
    fetch(apiUrl, {
      method: "POST",
      credentials: "omit",
      headers: headers,
      body: body.toString(),
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        var result = answer && answer.error ? { error: answer.error } : { paymentMethod: answer };
        tell({ action: "result", id: request.id, result: result });
      })
      .catch(function () {
        tell({ action: "result", id: request.id, result: { error: {
          type: "api_connection_error", message: "We could not reach the payment processor.",
        } } });
      });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) {
      return;
    }
    var data = event.data || {};
    if (data.source !== SOURCE) {
      return;
    }
    if (data.action === "createPaymentMethod") {
      createPaymentMethod(data);
    } else if (data.action === "clear") {
      input.value = "";
      changed();
    } else if (data.action === "focus") {
      input.focus();
    }
  });

  tell({ action: "ready" });

  // Stripe's frames size themselves to their content (a narrow page wraps the sandbox's notice):
  // the height goes to Stripe.js, which sets the iframe's.
  function sized() {
    tell({ action: "resize", height: Math.ceil(document.documentElement.scrollHeight) });
  }
  sized();
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(sized).observe(document.body);
  }
})();
