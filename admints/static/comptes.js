/* Account lists: « N compte(s) sélectionné(s) sur M » and « Sélectionner les M comptes
   correspondant aux filtres » (the server rebuilds that selection from the filters). */
(function () {
  "use strict";
  var form = document.getElementById("action_form");
  var counter = document.querySelector(".admints-selection-count .selected-n");
  var bar = document.querySelector(".admints-select-all");
  var flag = document.getElementById("select_all");
  var total = bar ? parseInt(bar.getAttribute("data-total"), 10) : 0;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input.action-checkbox")); }
  function ticked() { return boxes().filter(function (b) { return b.checked; }); }
  function allMatching() { return flag && flag.value === "1"; }

  function show(el, on) { if (el) { el.classList.toggle("d-none", !on); } }

  function refresh() {
    var n = allMatching() ? total : ticked().length;
    if (counter) { counter.textContent = String(n); }
    if (!bar) { return; }
    var all = boxes();
    var pageFull = all.length > 0 && ticked().length === all.length;
    show(bar, pageFull || allMatching());
    show(bar.querySelector(".select-page-msg"), pageFull && !allMatching());
    show(bar.querySelector(".select-all-matching"), pageFull && !allMatching());
    show(bar.querySelector(".select-all-msg"), allMatching());
    show(bar.querySelector(".select-all-clear"), allMatching());
  }

  function setAll(on) {
    if (flag) { flag.value = on ? "1" : "0"; }
    boxes().forEach(function (b) { b.checked = on || b.checked; });
    refresh();
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.classList.contains("action-rowtoggle")) {
      boxes().forEach(function (b) { b.checked = t.checked; });
      if (!t.checked && flag) { flag.value = "0"; }
      refresh();
    } else if (t.classList.contains("action-checkbox")) {
      if (!t.checked && flag) { flag.value = "0"; }
      refresh();
    }
  });

  if (bar) {
    bar.addEventListener("click", function (ev) {
      if (ev.target.classList.contains("select-all-matching")) {
        ev.preventDefault();
        setAll(true);
      } else if (ev.target.classList.contains("select-all-clear")) {
        ev.preventDefault();
        boxes().forEach(function (b) { b.checked = false; });
        var toggle = document.querySelector(".action-rowtoggle");
        if (toggle) { toggle.checked = false; }
        setAll(false);
      }
    });
  }

  // « Avec la sélection »: the ticked rows, or « all matching » (rebuilt by the server).
  function execute(name) {
    if (!allMatching() && ticked().length === 0) {
      window.alert("Veuillez sélectionner au moins un compte.");
      return;
    }
    form.querySelector("#action").value = name;
    Array.prototype.slice.call(form.querySelectorAll("input.action-checkbox")).forEach(function (b) { b.remove(); });
    if (!allMatching()) {
      ticked().forEach(function (b) {
        var h = document.createElement("input");
        h.type = "hidden"; h.name = "rowid"; h.value = b.value; h.className = "action-checkbox";
        form.appendChild(h);
      });
    }
    form.submit();
  }

  if (form) {
    document.addEventListener("click", function (ev) {
      var item = ev.target.closest ? ev.target.closest("a.admints-action") : null;
      if (item) {
        ev.preventDefault();
        execute(item.getAttribute("data-action"));
      }
    });
  }
  refresh();
})();
