/* Account screens (issue 13): behaviours hooked by data-attributes, no inline script.
   1. Account lists (form[data-admints-comptes]): « N compte(s) sélectionné(s) sur M » in a
      polite live region, « select all » of the page, « Sélectionner les M comptes correspondant
      aux filtres » (the server rebuilds that selection from the filters, R-ACC-4) after which
      focus lands on « Action sur la sélection », and an empty selection refused in words.
   2. Job pages ([data-job-state-url]): the progress bar follows the job's JSON state (R-ACC-6);
      at the end the page's result region is replaced in place (PDF link, recap) and the end is
      announced — no reload, focus is not thrown to the top. Without JavaScript the page offers
      a plain « Actualiser » link. */
(function () {
  "use strict";

  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function show(el, on) { if (el) { el.classList.toggle("admints-hidden", !on); } }

  // ---------------------------------------------------------------- 1. account lists
  var form = document.querySelector("form[data-admints-comptes]");
  if (form) {
    var flag = document.getElementById("select_all");
    var counter = document.getElementById("selection-count");
    var countN = counter ? counter.querySelector(".selected-n") : null;
    var countAll = counter ? counter.querySelector(".selected-all") : null;
    var bar = document.querySelector(".admints-select-all");
    var empty = document.getElementById("selection-vide");
    var toggle = form.querySelector("input.action-rowtoggle");
    var total = parseInt(form.getAttribute("data-total") || "0", 10);

    var boxes = function () { return all("input.action-checkbox", form); };
    var ticked = function () { return boxes().filter(function (b) { return b.checked; }); };
    var allMatching = function () { return !!flag && flag.value === "1"; };

    var refresh = function () {
      var n = allMatching() ? total : ticked().length;
      if (countN && countN.textContent !== String(n)) { countN.textContent = String(n); }
      if (countAll) {
        countAll.textContent = allMatching() ? " (tous les comptes correspondant aux filtres)" : "";
      }
      boxes().forEach(function (b) {
        var row = b.closest("tr");
        if (row) { row.setAttribute("aria-selected", b.checked ? "true" : "false"); }
      });
      if (toggle) {
        var list = boxes();
        toggle.checked = list.length > 0 && ticked().length === list.length;
      }
      if (n > 0) { show(empty, false); }
      if (!bar) { return; }
      var pageFull = boxes().length > 0 && ticked().length === boxes().length;
      show(bar, pageFull || allMatching());
      show(bar.querySelector(".select-page-msg"), pageFull && !allMatching());
      show(bar.querySelector(".select-all-matching"), pageFull && !allMatching());
      show(bar.querySelector(".select-all-msg"), allMatching());
      show(bar.querySelector(".select-all-clear"), allMatching());
    };

    form.addEventListener("change", function (ev) {
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
        var t = ev.target.closest ? ev.target.closest("button") : null;
        if (!t) { return; }
        if (t.classList.contains("select-all-matching")) {
          if (flag) { flag.value = "1"; }
          boxes().forEach(function (b) { b.checked = true; });
          refresh();
          // The button just pressed is now hidden: focus goes to what comes next, the
          // action chooser, which is described by the (announced) counter.
          var next = document.getElementById("action") || counter;
          if (next) { next.focus(); }
        } else if (t.classList.contains("select-all-clear")) {
          if (flag) { flag.value = "0"; }
          boxes().forEach(function (b) { b.checked = false; });
          refresh();
          if (counter) { counter.focus(); }
        }
      });
    }

    form.addEventListener("submit", function (ev) {
      if (!allMatching() && ticked().length === 0) {
        ev.preventDefault();
        show(empty, true);
        var first = boxes()[0] || counter;
        if (first) { first.focus(); }
        return;
      }
      if (allMatching()) {
        // The server rebuilds « all matching » from the filters: the page's ids are not sent.
        boxes().forEach(function (b) { b.disabled = true; });
      }
    });
    refresh();
  }

  // ---------------------------------------------------------------- 2. job pages
  var job = document.querySelector("[data-job-state-url]");
  if (job) {
    var url = job.getAttribute("data-job-state-url");
    var progress = job.querySelector("progress");
    var doneEl = job.querySelector(".job-done");
    var totalEl = job.querySelector(".job-total");
    var pctEl = job.querySelector(".job-percent");
    var announce = document.getElementById("job-annonce");
    var region = document.getElementById("job-resultat");
    var lastSaid = -1;

    var finish = function (state) {
      // The finished page's result region (PDF link, recap) replaces the progress in place.
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (text) {
          var doc = new DOMParser().parseFromString(text, "text/html");
          var fresh = doc.getElementById("job-resultat");
          var focusInside = region && (region.contains(document.activeElement) ||
            document.activeElement === document.body || !document.activeElement);
          if (fresh && region) { region.innerHTML = fresh.innerHTML; }
          if (announce) {
            announce.textContent = "";
            var msg = document.createElement("span");
            msg.textContent = state.message || "Terminé.";
            announce.appendChild(msg);
            var pdf = region ? region.querySelector("[data-testid=job-pdf]") : null;
            if (pdf) {
              announce.appendChild(document.createTextNode(" — "));
              var link = document.createElement("a");
              link.href = pdf.getAttribute("href");
              link.className = "fr-link fr-icon-download-line fr-link--icon-left";
              link.setAttribute("data-testid", "job-annonce-pdf");
              link.textContent = "Télécharger le PDF";
              announce.appendChild(link);
            }
            if (focusInside) { announce.focus(); }
          }
        })
        .catch(function () { window.location.reload(); });
    };

    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (progress) {
            progress.value = s.percent;
            progress.setAttribute("aria-valuenow", String(s.percent));
            progress.setAttribute("aria-valuetext", s.percent + " % (" + s.done + " sur " + s.total + ")");
          }
          if (doneEl) { doneEl.textContent = String(s.done); }
          if (totalEl) { totalEl.textContent = String(s.total); }
          // The percentage is said every tenth, not on each poll.
          if (pctEl && (Math.floor(s.percent / 10) !== Math.floor(lastSaid / 10))) {
            pctEl.textContent = s.percent + " %";
            lastSaid = s.percent;
          }
          if (s.status === "done" || s.status === "failed" || s.status === "interrupted") {
            finish(s);
          } else {
            window.setTimeout(tick, 1000);
          }
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    };
    var manual = job.querySelector(".job-actualiser");
    if (manual) { manual.classList.add("admints-hidden"); }
    window.setTimeout(tick, 500);
  }
})();
