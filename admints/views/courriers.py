"""Paramétrage › Courriers (R-PAR-4): the letter template editor on top of
`admints.courriers.letters`.

For the header and each body: « Modifier » (the text beside a live preview that follows typing,
fields inserted at the cursor, « Gras » / « Italique » buttons), « Prévisualiser » (the real PDF
of a sample account, with the edited text, nothing saved), « Valider », « Annuler »,
« Réinitialiser » (predefined text, confirmed first), « Visualiser le courrier » (text in force),
« Visualiser en-tête » (the header alone).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from .. import clock, confirmations, permissions
from ..courriers import editor, templating, wording
from ..errors import DomainError
from ..parametrage import versions
from ..tenancy import current_etablissement
from .base import TenantBaseView, run
from .confirmation import ask, confirmed


def _send_pdf(etab, key, text) -> Response:
    """One sample page: small enough to read back into memory and drop the file at once."""
    with tempfile.TemporaryDirectory(prefix="apercu-") as tmpdir:
        path = Path(tmpdir) / f"apercu-{key}.pdf"
        if text is None:  # « Visualiser en-tête »: the header in force, alone
            editor.header_pdf(etab, path, today=clock.today())
        else:
            editor.preview(etab, key, text, path, today=clock.today())
        data = path.read_bytes()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="apercu-{key}.pdf"',
        "Cache-Control": "no-store"})


def _json(data: dict, status: int = 200) -> Response:
    """JSON whose `<`, `>` and `&` are escaped too: typed markup never appears as such, even in
    a response read as something else than JSON."""
    text = json.dumps(data, ensure_ascii=False)
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, code)
    return Response(text, status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


class CourriersView(TenantBaseView):
    area = permissions.PARAMETRAGE

    def _key(self, raw) -> str:
        if raw not in wording.KEYS:
            abort(404)
        return raw

    @expose("/")
    def index(self):
        etab_id = self.etablissement_id()
        rows = [{"key": k, "label": wording.LABELS[k],
                 "personnalise": editor.stored_text(etab_id, k) is not None}
                for k in wording.KEYS]
        return self.render("admints/parametrage/courriers.html", rows=rows,
                           notice=versions.notice("courrier.entete", clock.today()))

    @expose("/modifier/<key>", methods=["GET", "POST"])
    def edit(self, key):
        key = self._key(key)
        etab = current_etablissement()
        self.etablissement_id()
        text = editor.current_text(etab.id, key)
        status = 200
        if request.method == "POST":
            text = request.form.get("texte", "")
            _, ok = run(lambda: editor.save_text(etab.id, key, text, today=clock.today(),
                                                        by=current_user.login))
            if ok:
                flash(f"« {wording.LABELS[key]} » enregistré. "
                      + versions.notice(editor.setting_key(key), clock.today()), "success")
                return redirect(url_for(".index"))
            status = 400
        return self._edit_page(key, text), status

    def _edit_page(self, key, text):
        return self.render("admints/parametrage/courrier_edit.html", key=key, texte=text,
                           label=wording.LABELS[key], placeholders=templating.PLACEHOLDERS,
                           requis=wording.REQUIRED.get(key, ()),
                           pied=wording.PIED, cnil=wording.MENTION_CNIL,
                           notice=versions.notice(editor.setting_key(key), clock.today()))

    @expose("/apercu-direct/<key>", methods=["POST"])
    def live_preview(self, key):
        """The live preview of the editor (static `courrier_editor.js`, debounced): the lines
        as the letter prints them, or the French reason the text would be refused. JSON only:
        the script writes it with `textContent`, never as markup."""
        key = self._key(key)
        etab = current_etablissement()
        self.etablissement_id()
        try:
            lines = editor.preview_lines(etab, key, request.form.get("texte", ""),
                                         today=clock.today())
        except DomainError as exc:
            return _json({"ok": False, "erreur": exc.message}, 400)
        return _json({"ok": True, "lignes": [None if line is None else {
            "style": line[0], "texte": line[1]} for line in lines]})

    @expose("/entete.pdf")
    def header(self):
        """« Visualiser en-tête » (guide §3.2): the header alone, as it is in force."""
        etab = current_etablissement()
        self.etablissement_id()
        try:
            return _send_pdf(etab, "entete", None)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))

    @expose("/apercu/<key>", methods=["GET", "POST"])
    def preview(self, key):
        """The real PDF: the posted text (nothing saved) or, on GET, the text in force."""
        key = self._key(key)
        etab = current_etablissement()
        self.etablissement_id()
        text = request.form.get("texte") if request.method == "POST" else \
            editor.current_text(etab.id, key)
        try:
            return _send_pdf(etab, key, text)
        except DomainError as exc:
            flash(exc.message, "error")
            if request.method == "POST":
                return self._edit_page(key, text or ""), 400
            return redirect(url_for(".index"))

    @expose("/reinitialiser/<key>", methods=["POST"])
    def reset(self, key):
        key = self._key(key)
        etab_id = self.etablissement_id()
        if not confirmed():
            return ask(self, confirmations.reset_letter(wording.LABELS[key]),
                       cancel_url=url_for(".index"))
        run(lambda: editor.reset_text(etab_id, key, today=clock.today(), by=current_user.login),
            f"« {wording.LABELS[key]} » : texte prédéfini rétabli.")
        return redirect(url_for(".index"))


def register(admin, category: str) -> None:
    admin.add_view(CourriersView(name="Courriers de notification", category=category,
                                 endpoint="param_courriers", url="/parametrage/courriers"))
