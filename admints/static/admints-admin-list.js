/* Generic Flask-Admin lists (templates/admin/model/list.html), issue 13 points 1, 4, 7:
   « tout sélectionner » on the page and the selection count announced in a live region.
   The bulk action form works without this file (row checkboxes join it with form=). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.querySelector("[data-admints-actions]");
    if (!form) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input.action-checkbox[form='action_form']"));
    var count = document.getElementById("selection-count");
    var allGroup = document.querySelector("[data-admints-select-all]");
    var all = allGroup ? allGroup.querySelector("input[type=checkbox]") : null;
    var fallback = document.querySelector("[data-admints-select-all-fallback]");
    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      if (count) {
        count.textContent = n === 0 ? "Aucune ligne sélectionnée."
          : n + " ligne" + (n > 1 ? "s" : "") + " sélectionnée" + (n > 1 ? "s" : "") + " sur " + boxes.length + ".";
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }
    if (all && boxes.length) {
      allGroup.hidden = false;
      if (fallback) { fallback.parentNode.removeChild(fallback); }
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    form.addEventListener("submit", function (event) {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      if (n === 0) {
        event.preventDefault();
        if (count) { count.textContent = "Cochez au moins une ligne avant d'appliquer une action."; }
        if (boxes.length) { boxes[0].focus(); }
        return;
      }
      var select = form.querySelector("select[name=action]");
      var option = select ? select.options[select.selectedIndex] : null;
      var question = option ? option.getAttribute("data-confirmation") : null;
      if (question && !window.confirm(question)) { event.preventDefault(); }
    });
  });
})();
