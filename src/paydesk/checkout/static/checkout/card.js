/*
 * Credit Card on Make Payment: the card processor's hosted fields (Stripe.js's card Element,
 * an iframe) and, on Pay, the payment method they make.
 *
 * The card number, expiry and CVC are typed into the processor's frame and sent by it to the
 * processor; this page only receives the payment method's id (pm_…), puts it in the hidden
 * `card-payment_method_token` field and submits the form. Uses Stripe.js's own calls only
 * (Stripe, elements, create, mount, on, createPaymentMethod), so it runs against
 * https://js.stripe.com/v3/ and against the sandbox's stand-in alike.
 */
(function () {
  "use strict";

  var form = document.getElementById("pay-form");
  var mountPoint = document.querySelector("[data-card-element]");
  if (!form || !mountPoint) {
    return;
  }
  var field = mountPoint.parentNode;
  var token = field.querySelector("[data-payment-method-token]");
  var errorLine = field.querySelector("[data-card-error]");
  var select = form.querySelector("select[name='method']");

  function showError(message) {
    errorLine.textContent = message || "";
  }

  if (typeof window.Stripe !== "function") {
    showError("The card fields could not be loaded. Reload the page, or choose another way to pay.");
    return;
  }

  var stripe = window.Stripe(mountPoint.getAttribute("data-publishable-key"),
    { apiVersion: mountPoint.getAttribute("data-api-version") });
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount(mountPoint);
  card.on("change", function (event) {
    token.value = ""; // another card: a new payment method on Pay
    showError(event.error ? event.error.message : "");
  });

  var busy = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!select || select.value !== "card" || !button || button.value !== "pay" || token.value) {
      return; // not paying by a new card (a saved one is its own choice), only a quote, or the
      // payment method is already made
    }
    event.preventDefault();
    if (busy) {
      return; // a double click: the first one is making the payment method
    }
    busy = true;
    button.disabled = true;
    showError("");
    stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
      busy = false;
      button.disabled = false;
      if (result.error) {
        showError(result.error.message);
        return;
      }
      token.value = result.paymentMethod.id;
      form.requestSubmit(button);
    });
  });
})();
