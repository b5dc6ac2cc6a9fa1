/* « Imprimer » (issue 12 point 10): a button, not an inline handler (the CSP forbids them). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-imprimer]")) { window.print(); }
  });
})();
