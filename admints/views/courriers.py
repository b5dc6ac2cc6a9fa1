"""Paramétrage › Courriers (R-PAR-4): the letter template editor on top of `admints.letters`.

For the header and each body: « Modifier » (text with « Insérer un champ »), « Prévisualiser »
(the real PDF of a sample account, with the edited text, nothing saved), « Valider »,
« Annuler », « Réinitialiser » (predefined text), « Visualiser le courrier » (text in force).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from .. import letter_editor, letter_texts, permissions, settings, templating
from ..errors import DomainError
from ..tenancy import current_etablissement
from .base import TenantBaseView, run
from .services import today


def _send_pdf(etab, key, text) -> Response:
    """One sample page: small enough to read back into memory and drop the file at once."""
    with tempfile.TemporaryDirectory(prefix="apercu-") as tmpdir:
        path = Path(tmpdir) / f"apercu-{key}.pdf"
        letter_editor.preview(etab, key, text, path, today=today())
        data = path.read_bytes()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="apercu-{key}.pdf"',
        "Cache-Control": "no-store"})


class CourriersView(TenantBaseView):
    area = permissions.PARAMETRAGE

    def _key(self, raw) -> str:
        if raw not in letter_texts.KEYS:
            abort(404)
        return raw

    @expose("/")
    def index(self):
        etab_id = self.etablissement_id()
        rows = [{"key": k, "label": letter_texts.LABELS[k],
                 "personnalise": letter_editor.stored_text(etab_id, k) is not None}
                for k in letter_texts.KEYS]
        return self.render("admints/parametrage/courriers.html", rows=rows,
                           notice=settings.notice("courrier.entete", today()))

    @expose("/modifier/<key>", methods=["GET", "POST"])
    def edit(self, key):
        key = self._key(key)
        etab = current_etablissement()
        self.etablissement_id()
        text = letter_editor.current_text(etab.id, key)
        status = 200
        if request.method == "POST":
            text = request.form.get("texte", "")
            _, ok = run(lambda: letter_editor.save_text(etab.id, key, text, today=today(),
                                                        by=current_user.login))
            if ok:
                flash(f"« {letter_texts.LABELS[key]} » enregistré. "
                      + settings.notice(letter_editor.setting_key(key), today()), "success")
                return redirect(url_for(".index"))
            status = 400
        return self.render("admints/parametrage/courrier_edit.html", key=key, texte=text,
                           label=letter_texts.LABELS[key], placeholders=templating.PLACEHOLDERS,
                           requis=letter_texts.REQUIRED.get(key, ()),
                           pied=letter_texts.PIED, cnil=letter_texts.MENTION_CNIL,
                           notice=settings.notice(letter_editor.setting_key(key), today())), status

    @expose("/apercu/<key>", methods=["GET", "POST"])
    def preview(self, key):
        """The real PDF: the posted text (nothing saved) or, on GET, the text in force."""
        key = self._key(key)
        etab = current_etablissement()
        self.etablissement_id()
        text = request.form.get("texte") if request.method == "POST" else \
            letter_editor.current_text(etab.id, key)
        try:
            return _send_pdf(etab, key, text)
        except DomainError as exc:
            flash(exc.message, "error")
            if request.method == "POST":
                return self.render(
                    "admints/parametrage/courrier_edit.html", key=key, texte=text or "",
                    label=letter_texts.LABELS[key], placeholders=templating.PLACEHOLDERS,
                    requis=letter_texts.REQUIRED.get(key, ()), pied=letter_texts.PIED,
                    cnil=letter_texts.MENTION_CNIL,
                    notice=settings.notice(letter_editor.setting_key(key), today())), 400
            return redirect(url_for(".index"))

    @expose("/reinitialiser/<key>", methods=["POST"])
    def reset(self, key):
        key = self._key(key)
        etab_id = self.etablissement_id()
        run(lambda: letter_editor.reset_text(etab_id, key, today=today(), by=current_user.login),
            f"« {letter_texts.LABELS[key]} » : texte prédéfini rétabli.")
        return redirect(url_for(".index"))


def register(admin, category: str) -> None:
    admin.add_view(CourriersView(name="Courriers de notification", category=category,
                                 endpoint="param_courriers", url="/parametrage/courriers"))
