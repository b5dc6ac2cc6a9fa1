/* AdminTS – letter editor (R-PAR-4, guide §3.2), no CDN, no framework.
 * - Live preview: each change of the text asks the server (debounced) for the lines as the letter
 *   prints them (POST with the form's CSRF token); the answer is written with textContent only.
 *   A refused text shows the server's French reason instead.
 * - « Gras » / « Italique » wrap the selected lines in the marks the server reads (** / __),
 *   or take them off when the lines already carry them: nobody types a mark.
 * - Field buttons insert ${name} at the cursor.
 */
(function () {
  "use strict";

  var DELAY = 250;

  function init(form) {
    var text = document.getElementById("texte");
    var preview = document.getElementById("apercu");
    var error = document.getElementById("apercu-erreur");
    var url = form.getAttribute("data-apercu-url");
    var timer = null;
    var sequence = 0;

    function show(lines) {
      preview.textContent = "";
      lines.forEach(function (line) {
        if (line === null) {
          var gap = document.createElement("div");
          gap.className = "apercu-espace";
          preview.appendChild(gap);
          return;
        }
        var p = document.createElement("p");
        p.className = "mb-1";
        var holder = p;
        if (line.style === "bold") {
          holder = document.createElement("strong");
          p.appendChild(holder);
        } else if (line.style === "italic") {
          holder = document.createElement("em");
          p.appendChild(holder);
        }
        holder.textContent = line.texte;
        preview.appendChild(p);
      });
    }

    function refresh() {
      var mine = ++sequence;
      var body = new FormData(form);
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (mine !== sequence) { return; }  // an older answer arriving late
          if (data.ok) {
            error.textContent = "";
            preview.removeAttribute("aria-invalid");
            show(data.lignes);
          } else {
            error.textContent = data.erreur || "Aperçu impossible.";
            preview.setAttribute("aria-invalid", "true");
          }
        })
        .catch(function () {
          if (mine === sequence) { error.textContent = "Aperçu momentanément indisponible."; }
        });
    }

    function schedule() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, DELAY);
    }

    function changed() {
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }

    // The whole lines touched by the selection get (or lose) the mark.
    function toggleMark(mark) {
      var value = text.value;
      var start = value.lastIndexOf("\n", text.selectionStart - 1) + 1;
      var endSel = Math.max(text.selectionEnd, text.selectionStart);
      if (endSel > text.selectionStart && value.charAt(endSel - 1) === "\n") { endSel -= 1; }
      var end = value.indexOf("\n", endSel);
      if (end === -1) { end = value.length; }
      var lines = value.slice(start, end).split("\n");
      var marks = ["**", "__"];
      function has(line, m) {
        return line.length > 2 * m.length && line.indexOf(m) === 0 &&
          line.lastIndexOf(m) === line.length - m.length;
      }
      var filled = lines.filter(function (l) { return l.trim() !== ""; });
      var all = filled.length > 0 && filled.every(function (l) { return has(l, mark); });
      var out = lines.map(function (line) {
        if (line.trim() === "") { return line; }
        marks.forEach(function (m) {
          if (has(line, m)) { line = line.slice(m.length, line.length - m.length); }
        });
        return all ? line : mark + line + mark;
      });
      var replaced = out.join("\n");
      text.value = value.slice(0, start) + replaced + value.slice(end);
      text.focus();
      text.selectionStart = start;
      text.selectionEnd = start + replaced.length;
      changed();
    }

    function insertField(name) {
      var token = "${" + name + "}";
      var start = text.selectionStart, end = text.selectionEnd;
      text.value = text.value.slice(0, start) + token + text.value.slice(end);
      text.focus();
      text.selectionStart = text.selectionEnd = start + token.length;
      changed();
    }

    text.addEventListener("input", schedule);
    form.querySelectorAll("[data-mark]").forEach(function (button) {
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () { toggleMark(button.getAttribute("data-mark")); });
    });
    form.querySelectorAll("[data-champ]").forEach(function (button) {
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () { insertField(button.getAttribute("data-champ")); });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("courrier-form");
    if (form && form.getAttribute("data-apercu-url")) { init(form); }
  });
})();
