/*
 * Saving a payment method: Stripe.js's Element (card, or IBAN for SEPA Direct Debit) in the
 * processor's frame, then confirmCardSetup / confirmSepaDebitSetup with the SetupIntent's client
 * secret. The card or IBAN goes from the frame to Stripe; this page then posts only to say
 * "done", and the server asks Stripe about its own SetupIntent. Stripe.js's own calls only.
 */
(function () {
  "use strict";

  var form = document.getElementById("setup-form");
  var mountPoint = document.querySelector("[data-setup-element]");
  if (!form || !mountPoint) {
    return;
  }
  var errorLine = form.querySelector("[data-setup-error]");
  var type = mountPoint.getAttribute("data-method-type");
  var secret = mountPoint.getAttribute("data-client-secret");

  function showError(message) {
    errorLine.textContent = message || "";
  }

  if (typeof window.Stripe !== "function" || !secret) {
    showError(secret ? "The card processor's fields could not be loaded. Reload the page." : "");
    return;
  }
  var stripe = window.Stripe(mountPoint.getAttribute("data-publishable-key"));
  var element = stripe.elements().create(type === "card" ? "card" : "iban",
    type === "card" ? { hidePostalCode: true } : { supportedCountries: ["SEPA"] });
  element.mount(mountPoint);
  element.on("change", function (event) {
    showError(event.error ? event.error.message : "");
  });

  var busy = false;
  var done = false;
  form.addEventListener("submit", function (event) {
    if (done) {
      return;
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    showError("");
    var confirming;
    if (type === "card") {
      confirming = stripe.confirmCardSetup(secret, { payment_method: { card: element } });
    } else {
      confirming = stripe.confirmSepaDebitSetup(secret, {
        payment_method: {
          sepa_debit: element,
          billing_details: {
            name: form.querySelector("[data-sepa-name]").value,
            email: form.querySelector("[data-sepa-email]").value,
          },
        },
      });
    }
    confirming.then(function (result) {
      busy = false;
      if (result.error) {
        // Stripe's text for a failed 3-D Secure is written for developers: plain words instead.
        var failedAuthentication = result.error.code === "setup_intent_authentication_failure";
        showError(failedAuthentication ? form.getAttribute("data-authentication-failed") : result.error.message);
        return;
      }
      done = true;
      form.submit();
    });
  });
})();
