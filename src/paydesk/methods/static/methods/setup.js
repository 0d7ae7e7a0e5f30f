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
  // SEPA from a UK, Swiss or other non-EEA IBAN: Stripe needs the Billing page's address (line1,
  // city, postal code, country). The IBAN Element's change event tells the IBAN's country.
  var addressNotice = form.querySelector("[data-address-needed]");
  var addressData = document.getElementById("sepa-billing-address");
  var address = addressData ? JSON.parse(addressData.textContent) : {};
  var ibanCountry = "";

  function addressNeeded() {
    if (!addressNotice) {
      return false;
    }
    var nonEea = addressNotice.getAttribute("data-non-eea").split(" ");
    var required = addressNotice.getAttribute("data-address-required").split(" ");
    var complete = required.every(function (name) { return Boolean(address[name]); });
    return nonEea.indexOf(ibanCountry) !== -1 && !complete;
  }

  function showAddressNotice(shown) {
    if (addressNotice) {
      addressNotice.hidden = !shown;
    }
  }

  var stripe = window.Stripe(mountPoint.getAttribute("data-publishable-key"),
    { apiVersion: mountPoint.getAttribute("data-api-version") });
  var element = stripe.elements().create(type === "card" ? "card" : "iban",
    type === "card" ? { hidePostalCode: true } : { supportedCountries: ["SEPA"] });
  element.mount(mountPoint);
  element.on("change", function (event) {
    showError(event.error ? event.error.message : "");
    ibanCountry = String(event.country || "").toUpperCase();
    showAddressNotice(addressNeeded());
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
    if (type !== "card" && addressNeeded()) {
      showAddressNotice(true);
      addressNotice.focus();
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
            address: address,
          },
        },
      });
    }
    confirming.then(function (result) {
      busy = false;
      if (result.error) {
        // Stripe's text for a failed 3-D Secure is written for developers: plain words instead.
        var failedAuthentication = result.error.code === "setup_intent_authentication_failure";
        // Stripe's refusal of a non-EEA IBAN without the address names a parameter: plain words.
        var noAddress = result.error.code === "parameter_missing" &&
          String(result.error.param || "").indexOf("billing_details[address]") === 0;
        showError(failedAuthentication ? form.getAttribute("data-authentication-failed") :
          noAddress ? form.getAttribute("data-address-refused") : result.error.message);
        return;
      }
      done = true;
      form.submit();
    });
  });
})();
