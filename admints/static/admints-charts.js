/* Draws the statistics charts (R-STA-3) with the plotly.js served by the app.
   Each chart is a <div data-chart="ID"> whose figure (data + layout) is the JSON of the
   <script type="application/json" id="ID"> block: no inline script, so the page keeps the
   app's Content-Security-Policy. The chart's main SVG is named as an image (accessible name:
   its group's), its data are in the page's tables. */
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
      }).then(function (gd) {
        // The drawing is one image named like its group; Plotly's hover layer is decoration.
        var svgs = gd.querySelectorAll("svg.main-svg");
        for (var k = 0; k < svgs.length; k++) {
          if (k === 0) {
            svgs[k].setAttribute("role", "img");
            svgs[k].setAttribute("aria-label", gd.getAttribute("aria-label") || "Graphique");
          } else {
            svgs[k].setAttribute("aria-hidden", "true");
          }
        }
        gd.setAttribute("data-ready", "1");
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
