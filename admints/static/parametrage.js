/* AdminTS – Paramétrage screens (no CDN, no framework).
 * - Message d'accueil (R-PAR-2): a small contenteditable editor (B / I / U / lien), a live
 *   « N/2000 caractères » counter that counts the TEXT like the server does (text characters,
 *   a line break counts one), and a preview built from an allow-list (the server sanitises again).
 * - ENT (R-PAR-3): shows the ENT choice for Mixte / ENT seul, « Aperçu du lien » follows the URL.
 * (The letter editor, R-PAR-4, has its own courrier_editor.js.)
 */
(function () {
  "use strict";

  var ALLOWED = { B: 1, STRONG: 1, I: 1, EM: 1, U: 1, A: 1, BR: 1, P: 1, DIV: 1 };
  var SAFE_URL = /^(https?:|mailto:)/i;

  function textLength(node) {
    var n = 0;
    node.childNodes.forEach(function (child) {
      if (child.nodeType === 3) {
        n += Array.from(child.nodeValue).length;
      } else if (child.nodeType === 1) {
        if (child.tagName === "BR") { n += 1; }
        n += textLength(child);
      }
    });
    return n;
  }

  // Copy `src` into `dst` keeping only allowed elements and safe links.
  function safeCopy(src, dst) {
    src.childNodes.forEach(function (child) {
      if (child.nodeType === 3) {
        dst.appendChild(document.createTextNode(child.nodeValue));
      } else if (child.nodeType === 1) {
        var tag = child.tagName;
        if (tag === "SCRIPT" || tag === "STYLE") { return; }
        if (ALLOWED[tag]) {
          var el = document.createElement(tag);
          if (tag === "A") {
            var href = (child.getAttribute("href") || "").trim();
            if (SAFE_URL.test(href)) {
              el.setAttribute("href", href);
              el.setAttribute("rel", "noopener noreferrer nofollow");
              el.setAttribute("target", "_blank");
            }
          }
          safeCopy(child, el);
          dst.appendChild(el);
        } else {
          safeCopy(child, dst);
        }
      }
    });
  }

  function initMessage(form) {
    var editor = document.getElementById("message-editor");
    var input = document.getElementById("message-input");
    var counter = document.getElementById("message-counter");
    var preview = document.getElementById("message-preview");
    var linkUrl = document.getElementById("link-url");
    var linkError = document.getElementById("link-error");
    var max = parseInt(counter.getAttribute("data-max"), 10) || 2000;
    var savedRange = null;

    function update() {
      var n = textLength(editor);
      counter.textContent = n + "/" + max + " caractères";
      counter.classList.toggle("text-danger", n > max);
      preview.textContent = "";
      safeCopy(editor, preview);
      input.value = editor.innerHTML;
    }

    function rememberSelection() {
      var sel = window.getSelection();
      if (sel.rangeCount && editor.contains(sel.anchorNode)) {
        savedRange = sel.getRangeAt(0).cloneRange();
      }
    }

    editor.addEventListener("input", update);
    editor.addEventListener("keyup", rememberSelection);
    editor.addEventListener("mouseup", rememberSelection);
    form.querySelectorAll("[data-cmd]").forEach(function (button) {
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () {
        var cmd = button.getAttribute("data-cmd");
        linkError.textContent = "";
        if (savedRange) {
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(savedRange);
        }
        editor.focus();
        if (cmd === "link") {
          var url = (linkUrl.value || "").trim();
          if (!SAFE_URL.test(url)) {
            linkError.textContent = "Seuls les liens http://, https:// et mailto: sont autorisés.";
            return;
          }
          document.execCommand("createLink", false, url);
        } else {
          document.execCommand(cmd, false, null);
        }
        update();
      });
    });
    form.addEventListener("submit", update);
    update();
  }

  function initEnt(form) {
    var choice = document.getElementById("ent-choix");
    var url = document.getElementById("ent-url");
    var apercu = document.getElementById("ent-apercu");
    function refresh() {
      var checked = form.querySelector("input[name=type]:checked");
      var show = checked && checked.value !== "teleservices";
      choice.style.display = show ? "" : "none";
      var v = (url.value || "").trim();
      var listed = document.getElementById("ent_id");
      var option = listed && listed.options[listed.selectedIndex];
      if (!v && option && option.getAttribute("data-url")) { v = option.getAttribute("data-url"); }
      var ok = /^https?:\/\/[^\s]+$/i.test(v);
      apercu.setAttribute("href", ok ? v : "#");
      apercu.classList.toggle("disabled", !ok);
    }
    form.querySelectorAll("input[name=type]").forEach(function (r) {
      r.addEventListener("change", refresh);
    });
    url.addEventListener("input", refresh);
    var listed = document.getElementById("ent_id");
    if (listed) { listed.addEventListener("change", refresh); }
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var rich = document.querySelector("[data-rich-form]");
    if (rich) { initMessage(rich); }
    var ent = document.querySelector("[data-ent-form]");
    if (ent) { initEnt(ent); }
  });
})();
