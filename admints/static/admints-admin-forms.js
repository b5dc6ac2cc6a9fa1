/* Flask-Admin forms (templates/admin/lib.html), issue 13 point 3: after a refused POST, focus
   moves to the error summary, whose links lead to the fields. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var summary = document.querySelector("[data-admints-focus]");
    if (summary) { summary.focus(); }
  });
})();
