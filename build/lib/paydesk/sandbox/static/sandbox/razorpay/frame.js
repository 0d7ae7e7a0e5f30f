/* The sandbox checkout's frame: hands the merchant page (checkout.js, our parent) what
   happened — a payment, a failure, or the customer closing the checkout — by postMessage,
   only to the merchant's origin. */
(function () {
  "use strict";
  var SOURCE = "paydesk-sandbox-razorpay";
  var result = document.getElementById("razorpay-result");
  var fallback = window.location.origin;

  function post(message, origin) {
    message.source = SOURCE;
    if (window.parent && window.parent !== window) {
      window.parent.postMessage(message, origin || fallback);
    }
  }

  var origin = result ? result.dataset.origin : "";
  var form = document.querySelector("form input[name=origin]");
  if (!origin && form) origin = form.value;

  var close = document.getElementById("razorpay-close");
  if (close) {
    close.addEventListener("click", function () { post({ event: "dismiss" }, origin); });
  }
  if (!result) return;
  var d = result.dataset;
  if (d.event === "payment.success") {
    post({
      event: "payment.success",
      razorpay_payment_id: d.paymentId,
      razorpay_order_id: d.orderId,
      razorpay_signature: d.signature
    }, origin);
  } else if (d.event === "payment.failed") {
    post({
      event: "payment.failed",
      error: {
        code: d.errorCode,
        description: d.errorDescription,
        source: d.errorSource,
        step: d.errorStep,
        reason: d.errorReason,
        metadata: { payment_id: d.paymentId, order_id: d.orderId }
      }
    }, origin);
  }
})();
