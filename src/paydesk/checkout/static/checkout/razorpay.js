/* Opens Razorpay Checkout (checkout.js, loaded just before this file) for the order named in
   #razorpay-checkout's data- attributes, with in-order retries off, and POSTs what Checkout
   hands back to /pay/return/<reference>/ with our CSRF token: the payment id, order id and
   signature on success; the failure; or `cancelled` when the customer closes it. The server
   checks the signature against the order id it stored and asks Razorpay itself.
   The checkout opens as soon as the page loads (Pay on Make Payment was the customer's click);
   the button opens it again should it not have opened. */
(function () {
  "use strict";
  var box = document.getElementById("razorpay-checkout");
  var button = document.getElementById("razorpay-pay");
  var form = document.getElementById("razorpay-return");
  if (!box || !button || !form) return;

  var sent = false;
  function send(fields) {
    if (sent) return;
    sent = true;
    Object.keys(fields).forEach(function (name) {
      if (form.elements[name]) form.elements[name].value = fields[name] || "";
    });
    button.disabled = true;
    form.submit();
  }

  if (typeof window.Razorpay !== "function") {
    document.getElementById("razorpay-error").textContent =
      "Razorpay's checkout could not be loaded. Try again later, or cancel this payment.";
    return;
  }

  var d = box.dataset;
  var checkout = new window.Razorpay({
    key: d.key,
    order_id: d.orderId,
    amount: parseInt(d.amount, 10),  // integer subunits, as Razorpay wants
    currency: d.currency,
    name: d.name,
    description: d.description,
    prefill: { email: d.email },
    notes: { paydesk_reference: d.reference },
    retry: { enabled: false },
    handler: function (response) {
      send({
        razorpay_payment_id: response.razorpay_payment_id,
        razorpay_order_id: response.razorpay_order_id,
        razorpay_signature: response.razorpay_signature
      });
    },
    modal: {
      ondismiss: function () { send({ cancelled: "1" }); }
    }
  });
  checkout.on("payment.failed", function (response) {
    var error = (response && response.error) || {};
    var meta = error.metadata || {};
    send({
      razorpay_payment_id: meta.payment_id,
      razorpay_order_id: meta.order_id,
      error_code: error.code,
      error_description: error.description
    });
  });
  button.addEventListener("click", function () { checkout.open(); });
  button.disabled = false;
  checkout.open();
})();
