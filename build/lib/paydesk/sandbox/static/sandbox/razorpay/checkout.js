/* The sandbox's checkout.js: the part of Razorpay Checkout's `Razorpay` that Paydesk uses, with
   the same names — new Razorpay(options), .on("payment.failed", fn), .open(), .close();
   options key, order_id, amount, currency, name, description, prefill.email, notes,
   retry, handler(response), modal.ondismiss(). open() shows the sandbox's checkout for the
   order in a frame over the page; the frame tells us what happened by postMessage (accepted
   only from the sandbox's own origin and that frame). */
(function () {
  "use strict";
  var SOURCE = "paydesk-sandbox-razorpay";
  var script = document.currentScript;
  var scriptUrl = new URL(script ? script.src : "/sandbox/razorpay/v1/checkout.js",
                          window.location.href);
  var base = new URL("../", scriptUrl);   // …/sandbox/razorpay/
  var origin = scriptUrl.origin;

  function Razorpay(options) {
    if (!(this instanceof Razorpay)) return new Razorpay(options);
    if (!options || !options.key) throw new Error("Razorpay: the key option is required");
    this.options = options;
    this.listeners = {};
    this.overlay = null;
    this.receive = null;
  }

  Razorpay.prototype.on = function (event, callback) {
    (this.listeners[event] = this.listeners[event] || []).push(callback);
    return this;
  };

  Razorpay.prototype.emit = function (event, payload) {
    (this.listeners[event] || []).forEach(function (callback) { callback(payload); });
  };

  Razorpay.prototype.open = function () {
    if (this.overlay) return this;
    var o = this.options;
    var url = new URL("checkout/" + encodeURIComponent(o.order_id || "") + "/", base);
    url.searchParams.set("key_id", o.key);
    url.searchParams.set("name", o.name || "");
    url.searchParams.set("description", o.description || "");
    url.searchParams.set("email", (o.prefill && o.prefill.email) || "");
    url.searchParams.set("origin", window.location.origin);
    Object.keys(o.notes || {}).forEach(function (key) {
      url.searchParams.set("notes[" + key + "]", String(o.notes[key]));
    });

    var overlay = document.createElement("div");
    overlay.className = "razorpay-container";
    overlay.style.position = "fixed";
    overlay.style.inset = "0";
    overlay.style.zIndex = "2147483000";
    overlay.style.background = "rgba(0, 0, 0, 0.5)";
    var frame = document.createElement("iframe");
    frame.className = "razorpay-checkout-frame";
    frame.title = "Razorpay Checkout";
    frame.src = url.toString();
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.height = "100%";
    overlay.appendChild(frame);
    document.body.appendChild(overlay);
    this.overlay = overlay;

    var self = this;
    this.receive = function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.source !== SOURCE) return;
      if (data.event === "payment.success") {
        self.close();
        if (typeof o.handler === "function") {
          o.handler({
            razorpay_payment_id: data.razorpay_payment_id,
            razorpay_order_id: data.razorpay_order_id,
            razorpay_signature: data.razorpay_signature
          });
        }
      } else if (data.event === "payment.failed") {
        self.emit("payment.failed", { error: data.error || {} });
      } else if (data.event === "dismiss") {
        self.close();
        if (o.modal && typeof o.modal.ondismiss === "function") o.modal.ondismiss();
      }
    };
    window.addEventListener("message", this.receive);
    return this;
  };

  Razorpay.prototype.close = function () {
    if (this.receive) window.removeEventListener("message", this.receive);
    if (this.overlay && this.overlay.parentNode) this.overlay.parentNode.removeChild(this.overlay);
    this.overlay = null;
    this.receive = null;
  };

  window.Razorpay = Razorpay;
})();
