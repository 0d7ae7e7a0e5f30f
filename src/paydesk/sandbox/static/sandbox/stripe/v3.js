/*
 * The sandbox's stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served at
 * /sandbox/stripe/js/v3.js. It offers the subset a card-fields integration uses, under
 * Stripe.js's own names, so the merchant's page runs unchanged against either:
 *
 *   var stripe = Stripe("pk_test_…", { apiVersion: "2026-10-28.endive" });  // Stripe-Version
 *   var card = stripe.elements().create("card", { hidePostalCode: true });
 *   card.mount("#card-element");                      // an iframe with the card fields
 *   card.on("change", function (event) { … event.error … });
 *   stripe.createPaymentMethod({ type: "card", card: card })
 *     .then(function (result) { result.paymentMethod.id  or  result.error.message });
 *   stripe.confirmCardSetup(clientSecret, { payment_method: { card: card } })
 *     .then(function (result) { result.setupIntent.status  or  result.error.message });
 *
 * The card fields live in the iframe (another document, served by the "processor"); this file
 * only passes messages to it, checked by origin and window both ways.
 */
(function () {
  "use strict";

  var SOURCE = "paydesk-sandbox-stripe";
  var script = document.currentScript;
  var scriptUrl = new URL(script ? script.src : "/sandbox/stripe/js/v3.js", window.location.href);
  var base = scriptUrl.href.replace(/\/js\/v3\.js(\?.*)?$/, "");
  var frameOrigin = scriptUrl.origin;
  var frameCount = 0;

  function CardElement(stripe, options, type) {
    this._type = type || "card";
    this._stripe = stripe;
    this._options = options || {};
    this._handlers = {};
    this._frame = null;
    this._ready = false;
    this._queue = [];
    this._waiting = {};
    this._sequence = 0;
    this._onMessage = this._receive.bind(this);
    window.addEventListener("message", this._onMessage);
  }

  CardElement.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) {
      throw new Error("The selector you specified (" + target + ") applies to no DOM elements.");
    }
    if (this._frame) {
      throw new Error("This Element is already mounted.");
    }
    var frame = document.createElement("iframe");
    frame.name = "__privateStripeFrame" + (++frameCount);
    frame.title = "Secure card payment input frame";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("allowtransparency", "true");
    frame.setAttribute("scrolling", "no");
    frame.style.width = "100%";
    frame.style.minWidth = "100%";
    frame.style.height = this._type === "card" ? "13rem" : "6rem";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.src = base + "/elements/" + this._type + "/?key=" + encodeURIComponent(this._stripe._key) +
      "&origin=" + encodeURIComponent(window.location.origin) +
      "&api_version=" + encodeURIComponent(this._stripe._options.apiVersion || "");
    container.appendChild(frame);
    this._frame = frame;
    return this;
  };

  CardElement.prototype.on = function (name, handler) {
    (this._handlers[name] = this._handlers[name] || []).push(handler);
    return this;
  };

  CardElement.prototype.off = function (name, handler) {
    this._handlers[name] = (this._handlers[name] || []).filter(function (h) {
      return handler !== undefined && h !== handler;
    });
    return this;
  };

  CardElement.prototype.clear = function () {
    this._send({ action: "clear" });
  };

  CardElement.prototype.focus = function () {
    this._send({ action: "focus" });
  };

  CardElement.prototype.unmount = function () {
    if (this._frame && this._frame.parentNode) {
      this._frame.parentNode.removeChild(this._frame);
    }
    this._frame = null;
    this._ready = false;
  };

  CardElement.prototype.destroy = function () {
    this.unmount();
    window.removeEventListener("message", this._onMessage);
  };

  CardElement.prototype._emit = function (name, event) {
    (this._handlers[name] || []).forEach(function (handler) {
      handler(event);
    });
  };

  CardElement.prototype._send = function (message) {
    message.source = SOURCE;
    if (!this._ready || !this._frame) {
      this._queue.push(message);
      return;
    }
    this._frame.contentWindow.postMessage(message, frameOrigin);
  };

  CardElement.prototype._receive = function (event) {
    if (!this._frame || event.origin !== frameOrigin || event.source !== this._frame.contentWindow) {
      return;
    }
    var data = event.data || {};
    if (data.source !== SOURCE) {
      return;
    }
    if (data.action === "ready") {
      this._ready = true;
      var queued = this._queue;
      this._queue = [];
      queued.forEach(this._send.bind(this));
      this._emit("ready", { elementType: this._type });
    } else if (data.action === "resize") {
      var height = Number(data.height);
      if (height > 0 && height < 2000) {
        this._frame.style.height = height + "px";
      }
    } else if (data.action === "change") {
      this._emit("change", data.event);
    } else if (data.action === "result" && this._waiting[data.id]) {
      var resolve = this._waiting[data.id];
      delete this._waiting[data.id];
      resolve(data.result);
    }
  };

  CardElement.prototype._createPaymentMethod = function (billingDetails) {
    var self = this;
    return new Promise(function (resolve) {
      if (!self._frame) {
        resolve({ error: { type: "validation_error", message: "The card Element is not mounted." } });
        return;
      }
      var id = ++self._sequence;
      self._waiting[id] = resolve;
      self._send({ action: "createPaymentMethod", id: id, billing_details: billingDetails || {} });
    });
  };

  function Elements(stripe) {
    this._stripe = stripe;
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "card" && type !== "iban") {
      throw new Error("The Paydesk sandbox's Stripe.js offers the 'card' and 'iban' Elements only.");
    }
    if (this._elements[type]) {
      throw new Error("Can only create one Element of type " + type + ".");
    }
    this._elements[type] = new CardElement(this._stripe, options, type);
    return this._elements[type];
  };

  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) {
      return new Stripe(key, options);
    }
    if (typeof key !== "string" || !/^pk_/.test(key)) {
      throw new Error("Invalid API Key provided: " + key);
    }
    this._key = key;
    this._options = options || {};
  }

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  // createPaymentMethod({type: "card", card: element, billing_details}) — and the older
  // createPaymentMethod("card", element, {billing_details}) form.
  Stripe.prototype.createPaymentMethod = function (first, element, data) {
    var params = typeof first === "string" ? { type: first, card: element, billing_details: (data || {}).billing_details } : (first || {});
    var element = params.type === "sepa_debit" ? params.sepa_debit : params.card;
    if ((params.type !== "card" && params.type !== "sepa_debit") || !(element instanceof CardElement) ||
        element._type !== (params.type === "card" ? "card" : "iban")) {
      return Promise.resolve({
        error: { type: "validation_error", message: "createPaymentMethod needs type 'card' with a card Element or 'sepa_debit' with an iban Element." },
      });
    }
    return element._createPaymentMethod(params.billing_details);
  };

  function intentId(clientSecret) {
    var match = /^((?:seti|pi)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || "");
    return match ? match[1] : "";
  }

  // POST to the sandbox's Stripe API with the publishable key, as Stripe.js does.
  Stripe.prototype._post = function (path, fields) {
    var body = new URLSearchParams(fields);
    body.set("key", this._key);
    var headers = { "Content-Type": "application/x-www-form-urlencoded" };
    if (this._options.apiVersion) {
      headers["Stripe-Version"] = this._options.apiVersion;
    }
    return fetch(base + path, {
      method: "POST",
      body: body,
      credentials: "omit",
      headers: headers,
    }).then(function (response) {
      return response.json().then(function (json) {
        return { ok: response.ok, json: json };
      });
    }, function () {
      return { ok: false, json: { error: { type: "api_connection_error", message: "Stripe could not be reached." } } };
    });
  };

  Stripe.prototype._confirmSetup = function (clientSecret, made) {
    var self = this;
    var setupId = intentId(clientSecret);
    if (!setupId || setupId.indexOf("seti_") !== 0) {
      return Promise.resolve({ error: { type: "validation_error", message: "Invalid client secret." } });
    }
    return made.then(function (result) {
      if (result.error) {
        return { error: result.error };
      }
      return self._post("/v1/setup_intents/" + setupId + "/confirm", {
        client_secret: clientSecret,
        payment_method: result.paymentMethod.id,
      }).then(function (answer) {
        return answer.ok ? { setupIntent: answer.json } : { error: answer.json.error };
      });
    });
  };

  // confirmSepaDebitSetup(clientSecret, {payment_method: {sepa_debit: ibanElement,
  // billing_details: {name, email}}}): the IBAN goes from the frame to /v1/payment_methods.
  Stripe.prototype.confirmSepaDebitSetup = function (clientSecret, data) {
    var method = (data || {}).payment_method || {};
    var made = typeof method === "string" ? Promise.resolve({ paymentMethod: { id: method } }) :
      this.createPaymentMethod({ type: "sepa_debit", sepa_debit: method.sepa_debit, billing_details: method.billing_details });
    return this._confirmSetup(clientSecret, made);
  };

  // confirmCardSetup(clientSecret, {payment_method: {card: element}}): the card goes from the
  // frame to /v1/payment_methods, then the SetupIntent is confirmed with its pm_… id.
  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    var method = (data || {}).payment_method || {};
    var made = typeof method === "string" ? Promise.resolve({ paymentMethod: { id: method } }) :
      this.createPaymentMethod({ type: "card", card: method.card, billing_details: method.billing_details });
    return this._confirmSetup(clientSecret, made);
  };

  window.Stripe = Stripe;
})();
