/*
 * The sandbox's card frame (the part of Stripe.js that runs inside the iframe on the merchant's
 * page). The card never leaves this frame except in the POST to the sandbox's
 * /v1/payment_methods (publishable key, as Stripe.js does); the merchant's page only ever gets
 * the pm_… id or an error message, by postMessage to the origin that mounted the frame.
 */
(function () {
  "use strict";

  var SOURCE = "paydesk-sandbox-stripe";
  var root = document.getElementById("card-fields");
  if (!root || window.parent === window) {
    return;
  }
  var apiUrl = root.getAttribute("data-api-url");
  var key = root.getAttribute("data-key");
  var parentOrigin = root.getAttribute("data-parent-origin");
  var inputs = {
    number: document.getElementById("card-number"),
    expMonth: document.getElementById("card-exp-month"),
    expYear: document.getElementById("card-exp-year"),
    cvc: document.getElementById("card-cvc"),
  };

  function tell(message) {
    message.source = SOURCE;
    window.parent.postMessage(message, parentOrigin);
  }

  function digits(value) {
    return String(value || "").replace(/[\s-]/g, "");
  }

  function brand(number) {
    if (/^4/.test(number)) { return "visa"; }
    if (/^3[47]/.test(number)) { return "amex"; }
    if (/^(5[1-5]|2[2-7])/.test(number)) { return "mastercard"; }
    if (/^(6011|65)/.test(number)) { return "discover"; }
    return "unknown";
  }

  function fullYear(value) {
    var year = parseInt(value, 10);
    return value.length === 2 ? 2000 + year : year;
  }

  // What Stripe's card Element says about its fields: an error only for what is already wrong
  // (an expiry in the past), "incomplete" errors only when asked to create a payment method.
  function validate(strict) {
    var number = digits(inputs.number.value);
    var month = inputs.expMonth.value.trim();
    var year = inputs.expYear.value.trim();
    var cvc = inputs.cvc.value.trim();
    var now = new Date();
    var error = null;
    if (month && (!/^\d{1,2}$/.test(month) || +month < 1 || +month > 12)) {
      error = { code: "invalid_expiry_month", message: "Your card's expiration month is invalid." };
    } else if (year && /^(\d{2}|\d{4})$/.test(year) && fullYear(year) < now.getFullYear()) {
      error = { code: "invalid_expiry_year_past", message: "Your card's expiration year is in the past." };
    } else if (month && year && /^(\d{2}|\d{4})$/.test(year) && fullYear(year) === now.getFullYear() &&
               +month < now.getMonth() + 1) {
      error = { code: "invalid_expiry_month_past", message: "Your card's expiration date is in the past." };
    } else if (strict && number.length < 12) {
      error = { code: "incomplete_number", message: "Your card number is incomplete." };
    } else if (strict && !month) {
      error = { code: "incomplete_expiry", message: "Your card's expiration date is incomplete." };
    } else if (strict && !/^(\d{2}|\d{4})$/.test(year)) {
      error = { code: "incomplete_expiry", message: "Your card's expiration date is incomplete." };
    } else if (strict && !/^\d{3,4}$/.test(cvc)) {
      error = { code: "incomplete_cvc", message: "Your card's security code is incomplete." };
    }
    return {
      elementType: "card",
      empty: !number && !month && !year && !cvc,
      complete: !error && number.length >= 12 && !!month && year.length >= 2 && cvc.length >= 3,
      brand: brand(number),
      error: error ? { type: "validation_error", code: error.code, message: error.message } : undefined,
    };
  }

  function changed() {
    tell({ action: "change", event: validate(false) });
  }

  Object.keys(inputs).forEach(function (name) {
    inputs[name].addEventListener("input", changed);
    inputs[name].addEventListener("blur", changed);
  });

  function createPaymentMethod(request) {
    var state = validate(true);
    if (state.error) {
      tell({ action: "result", id: request.id, result: { error: state.error } });
      return;
    }
    var body = new URLSearchParams();
    body.set("type", "card");
    body.set("card[number]", digits(inputs.number.value));
    body.set("card[exp_month]", inputs.expMonth.value.trim());
    body.set("card[exp_year]", inputs.expYear.value.trim());
    body.set("card[cvc]", inputs.cvc.value.trim());
    body.set("key", key);
    fetch(apiUrl, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: body.toString(),
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        var result = answer && answer.error ? { error: answer.error } : { paymentMethod: answer };
        tell({ action: "result", id: request.id, result: result });
      })
      .catch(function () {
        tell({
          action: "result",
          id: request.id,
          result: {
            error: {
              type: "api_connection_error",
              message: "We could not reach the card processor. Check your connection and try again.",
            },
          },
        });
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
      Object.keys(inputs).forEach(function (name) {
        inputs[name].value = "";
      });
      changed();
    } else if (data.action === "focus") {
      inputs.number.focus();
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
