/*
 * Payments page: live updates without a reload.
 *
 * While the table shows pending payments, ask the server every few seconds for their current
 * status (portal:payments_updates, JSON). When one has changed, fetch the same page again as a
 * fragment (same filters, same page) and swap the summary and the list in place, leaving the
 * filter form (and anything typed in it) alone. No inline script; nothing else.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 5000;
  var SWAPPED_IDS = ["payments-summary", "payments-region"];
  var region = document.getElementById("payments-region");
  var live = document.getElementById("payments-live");
  if (!region || !live || !window.fetch || !window.HTMLTemplateElement) {
    return;
  }
  var updatesUrl = live.getAttribute("data-updates-url");
  var message = live.getAttribute("data-updated-message");
  var timer = null;
  var busy = false;

  function pendingIds() {
    // The table's pending rows and the unfinished checkouts listed apart.
    var ids = [];
    region.querySelectorAll("[data-pending-ids]").forEach(function (element) {
      var text = element.getAttribute("data-pending-ids");
      if (text) {
        ids = ids.concat(text.split(","));
      }
    });
    return ids;
  }

  function fragmentUrl() {
    var params = new URLSearchParams(window.location.search);
    params.set("fragment", "1");
    return window.location.pathname + "?" + params.toString();
  }

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function refresh() {
    return fetch(fragmentUrl(), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text().then(function (html) {
        var fresh = document.createElement("template");
        fresh.innerHTML = html;
        SWAPPED_IDS.forEach(function (id) {
          var current = document.getElementById(id);
          var replacement = fresh.content.getElementById(id);
          if (current && replacement) {
            current.replaceWith(replacement);
          }
        });
        region = document.getElementById("payments-region");
        live.textContent = message;
      });
    });
  }

  function poll() {
    var ids = pendingIds();
    if (!ids.length) {
      stop();
      return;
    }
    if (busy || document.visibilityState === "hidden") {
      return;
    }
    busy = true;
    getJson(updatesUrl + "?ids=" + encodeURIComponent(ids.join(",")))
      .then(function (data) {
        var statuses = data.payments || {};
        var changed = ids.some(function (id) {
          return statuses[id] !== "pending";
        });
        return changed ? refresh() : null;
      })
      .catch(function () {
        /* A failed poll is retried at the next tick. */
      })
      .then(function () {
        busy = false;
        if (!pendingIds().length) {
          stop();
        }
      });
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  if (pendingIds().length) {
    timer = window.setInterval(poll, INTERVAL_MS);
  }
})();
