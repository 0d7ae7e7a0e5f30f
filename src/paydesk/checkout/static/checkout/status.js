/*
 * A payment's status page while it is pending: ask for the same page every few seconds and,
 * when the payment is no longer pending, swap its section in place and say so to screen readers
 * (instead of a <meta http-equiv="refresh">, which reloads under the reader's feet). No inline
 * script; without JavaScript the page says to reload it.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 5000;
  var live = document.getElementById("status-live");
  if (!live || !window.fetch || !window.HTMLTemplateElement) {
    return;
  }
  var timer = null;
  var busy = false;

  function section() {
    return document.querySelector(".payment-status");
  }

  function poll() {
    var current = section();
    if (!current || current.getAttribute("data-status") !== "pending") {
      window.clearInterval(timer);
      return;
    }
    if (busy || document.visibilityState === "hidden") {
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = document.createElement("template");
        fresh.innerHTML = html;
        var replacement = fresh.content.querySelector(".payment-status");
        if (replacement && replacement.getAttribute("data-status") !== "pending") {
          section().replaceWith(replacement);
          live.textContent = live.getAttribute("data-updated-message");
          window.clearInterval(timer);
        }
      })
      .catch(function () {
        /* A failed poll is retried at the next tick. */
      })
      .then(function () {
        busy = false;
      });
  }

  timer = window.setInterval(poll, INTERVAL_MS);
})();
