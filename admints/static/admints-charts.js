/* Draws the statistics charts (R-STA-3) with the plotly.js served by the app.
   Each chart is a <div data-chart="ID"> whose figure (data + layout) is the JSON of the
   <script type="application/json" id="ID"> block: no inline script, so the page keeps the
   app's Content-Security-Policy. */
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    var nodes = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { continue; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        responsive: true, displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"]
      }).then(function (gd) { gd.setAttribute("data-ready", "1"); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
