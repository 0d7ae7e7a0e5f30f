// Paydesk: small page actions without inline script (the Content-Security-Policy refuses it).
//
// Copy: <button type="button" data-copy="ID" hidden> copies the value (or text) of element ID to
// the clipboard and says "Copied" in its status (an element with data-copy-status="ID"). The
// button is shown only when this script runs, so nobody meets a button that does nothing.
//
// Confirm: <form data-confirm="Revoke the key “ci”?"> asks before it is sent; Cancel sends nothing.
"use strict";
(() => {
  const say = (id, text) => {
    const status = document.querySelector(`[data-copy-status="${id}"]`);
    if (status) status.textContent = text;
  };

  const copyFallback = (element) => {
    if (typeof element.select !== "function") return false;
    element.select();
    return document.execCommand("copy");
  };

  const copy = async (button) => {
    const id = button.dataset.copy;
    const element = document.getElementById(id);
    if (!element) return;
    const text = "value" in element ? element.value : element.textContent.trim();
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        done = true;
      }
    } catch (error) {
      done = false;
    }
    if (!done) done = copyFallback(element);
    say(id, done ? button.dataset.copied || "Copied." : button.dataset.copyFailed || "Select it and copy it.");
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => copy(button));
    });
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
