/* AdminTS shared behaviours of the back-office shell, hooked by data-attributes (the CSP allows
   scripts from the app only: no inline script, no inline handler).

   - [data-confirmer="Question ?"] on a form or a submit button: asks before submitting;
   - [data-soumettre-au-changement] on a <select>/<input>: submits its form when it changes;
   - after a failed POST, focus goes to the error summary ([data-resume-erreurs]) or else to the
     first field with aria-invalid="true", so a keyboard or screen-reader user lands on it. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirmer")) ||
      (form.getAttribute && form.getAttribute("data-confirmer"));
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.closest && field.closest("[data-soumettre-au-changement]") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });

  function focusFirstError() {
    var target = document.querySelector("[data-resume-erreurs]") ||
      document.querySelector("[aria-invalid=true]");
    if (!target) { return; }
    if (!target.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();
