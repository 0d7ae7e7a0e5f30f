/*
 * Small behaviours every page may use, declared in the markup (the CSP allows no inline script):
 *
 * - <form data-confirm="Question?">: asks before submitting; No leaves the page as it was.
 * - <button type="button" data-copy="text" data-copied="Copied">: copies the text to the
 *   clipboard and says so in the button's live status (the text stays selectable on the page
 *   for browsers without a clipboard).
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function announce(button, text) {
    var wrap = button.closest("[data-copy-wrap]");
    var status = wrap && wrap.querySelector("[data-copy-status]");
    if (status) {
      status.textContent = text;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var text = button.getAttribute("data-copy");
    var done = button.getAttribute("data-copied") || "Copied";
    var failed = button.getAttribute("data-copy-failed") || "Select the text to copy it";
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, done); },
        function () { announce(button, failed); }
      );
    } else {
      announce(button, failed);
    }
  });

  // Copy buttons are shown only where a script can run them.
  document.querySelectorAll("[data-copy-wrap][hidden]").forEach(function (element) {
    element.hidden = false;
  });
})();
