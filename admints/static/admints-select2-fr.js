/* Select2 3.5 (bundled with Flask-Admin) in French (issue 12 point 8): its messages, shown in
   the drop-downs and read by screen readers, are English by default. Loaded after select2. */
(function ($) {
  "use strict";
  if (!$ || !$.fn || !$.fn.select2) { return; }
  function s(n) { return n > 1 ? "s" : ""; }
  $.extend($.fn.select2.defaults, {
    formatMatches: function (n) {
      return n === 1 ? "Un résultat, appuyez sur Entrée pour le choisir."
        : n + " résultats, utilisez les flèches haut et bas pour naviguer.";
    },
    formatNoMatches: function () { return "Aucun résultat"; },
    formatAjaxError: function () { return "Le chargement a échoué"; },
    formatInputTooShort: function (input, min) {
      var n = min - input.length; return "Saisissez encore " + n + " caractère" + s(n);
    },
    formatInputTooLong: function (input, max) {
      var n = input.length - max; return "Supprimez " + n + " caractère" + s(n);
    },
    formatSelectionTooBig: function (n) { return n + " élément" + s(n) + " au plus"; },
    formatLoadMore: function () { return "Chargement de résultats supplémentaires…"; },
    formatSearching: function () { return "Recherche en cours…"; }
  });
  // Flask-Admin's form.js passes its own English « no matches » text to tag inputs (the
  // « dans la liste » filters): a tag input always gets the French one, whatever its caller.
  var select2 = $.fn.select2;
  $.fn.select2 = function (options) {
    if (options && typeof options === "object" && options.tags !== undefined) {
      return select2.call(this, $.extend({}, options, {formatNoMatches: function () {
        return "Saisissez des valeurs séparées par des virgules";
      }}));
    }
    return select2.apply(this, arguments);
  };
  $.extend($.fn.select2, select2);  // defaults, ajaxDefaults, locales… stay where callers look
})(window.jQuery);
