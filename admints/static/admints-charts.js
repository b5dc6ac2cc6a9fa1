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
      // The config (French toolbar, no cloud button) comes with the figure: figures.CONFIG.
      window.Plotly.newPlot(el, figure.data, figure.layout, figure.config || {
        responsive: true, displaylogo: false, showSendToCloud: false
      }).then(function (gd) { gd.setAttribute("data-ready", "1"); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
