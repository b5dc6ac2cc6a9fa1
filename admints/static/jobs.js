/* R-ACC-6: live progress bar of a job page; polls the job's state every second and reloads
   the page (PDF link and recap) once the job has finished. */
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-state-url");
  var bar = box.querySelector(".progress-bar");
  var done = box.querySelector(".job-done");
  var total = box.querySelector(".job-total");

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.style.width = s.percent + "%";
        bar.setAttribute("aria-valuenow", String(s.percent));
        bar.textContent = s.percent + " %";
        done.textContent = String(s.done);
        total.textContent = String(s.total);
        if (s.status === "done" || s.status === "failed" || s.status === "interrupted") {
          window.location.reload();
        } else {
          window.setTimeout(tick, 1000);
        }
      })
      .catch(function () { window.setTimeout(tick, 2000); });
  }
  window.setTimeout(tick, 1000);
})();
