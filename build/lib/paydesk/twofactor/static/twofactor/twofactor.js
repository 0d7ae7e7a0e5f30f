// After django-otp-webauthn registers a passkey, go to the page the element names (the
// two-factor overview, which then lists it). No inline script: the CSP forbids it.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    var target = document.querySelector("[data-after-passkey]");
    if (target) {
      window.location.assign(target.getAttribute("data-after-passkey"));
    }
  });
})();
