"""« Listes de classes » under Accès des élèves (R-ACC-11, guide §5.3).

Choose a division, or a group among those that have pupils (with a name filter); the page shows
the class list with R-ACC-11's masking, and offers the PDF (alphabetical) and the CSV (cells
neutralised). Rows, masking and files come from `csvexport` / `class_list` (domain modules);
`class_list.resolve_class` checks the class belongs to the establishment and the file
operations audit each download (the files carry temporary passwords); this view parses and sends.
Hence also (R-SEC-5): open to the élèves menu's users but not the helpdesk, and every answer, page
or file, is sent `Cache-Control: no-store`.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    send_file,
)
from flask_admin import expose
from flask_login import current_user

from .. import bounded, clock, permissions
from ..cache_control import no_store
from ..comptes import activation, class_lists, exports
from ..errors import DomainError
from ..extensions import db
from ..models import Division
from .base import TenantBaseView


def _class_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    pk = bounded.parse_id(raw)
    if pk is None:
        raise DomainError("Classe inconnue.")
    return pk


class ClassListsView(TenantBaseView):
    area = permissions.ELEVES

    def is_accessible(self) -> bool:
        return permissions.can_open_documents(current_user._get_current_object(), self.area)

    def _selection(self):
        """The class of the request, checked against the establishment (or None)."""
        return class_lists.resolve_class(self.etablissement_id(), _class_arg("division"),
                                        _class_arg("groupe"))

    @expose("/")
    @no_store  # the page shows temporary passwords
    def index(self):
        etab_id = self.etablissement_id()
        nom_groupe = (request.args.get("nom_groupe") or "").strip()[:60]
        divisions = db.session.scalars(db.select(Division).where(
            Division.etablissement_id == etab_id).order_by(Division.code)).all()
        groupes = exports.groupes_with_pupils(etab_id, nom_groupe)
        # R-SRV-1: no class list (it shows passwords) before activation; the page says why.
        blocked = activation.blocked_reason(etab_id)
        try:
            ref = self._selection()
        except DomainError as exc:
            flash(exc.message, "error")
            ref = None
        division_id, groupe_id, title = (ref.division_id, ref.groupe_id, ref.title) if ref \
            else (None, None, None)
        rows = class_lists.class_list_rows(etab_id, division_id=division_id,
                                         groupe_id=groupe_id) if ref and not blocked else []
        return (make_response(self.render(
            "admints/comptes/listes_classes.html", divisions=divisions, groupes=groupes,
            nom_groupe=nom_groupe, division_id=division_id, groupe_id=groupe_id, title=title,
            headers=class_lists.HEADERS, rows=[class_lists.class_list_values(r) for r in rows],
            query={"division": division_id} if division_id else {"groupe": groupe_id},
            activation_requise=blocked)))

    def _checked(self) -> class_lists.ClassRef:
        try:
            ref = self._selection()
        except DomainError:
            abort(404)
        if ref is None:
            abort(404)
        return ref

    def _refused(self, exc: DomainError):
        # e.g. R-SRV-1 (not activated): back to the page, which says why and links to it.
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(self.get_url(".index"))

    @expose("/pdf")
    @no_store
    def pdf(self):
        ref = self._checked()
        try:
            data = class_lists.class_list_pdf(
                self.etablissement_id(), ref,
                out_dir=Path(current_app.config["OUTPUT_DIR"]) / "classes",
                today=clock.today(), by=current_user.login)
        except DomainError as exc:
            return self._refused(exc)
        db.session.commit()
        return send_file(_bytes_io(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"liste_{ref.title.replace(' ', '_')}.pdf")

    @expose("/csv")
    @no_store
    def csv(self):
        ref = self._checked()
        try:
            text = exports.class_list_csv_for(self.etablissement_id(), ref,
                                              by=current_user.login)
        except DomainError as exc:
            return self._refused(exc)
        db.session.commit()
        name = f"liste_{ref.title.replace(' ', '_')}.csv"
        return Response(text.encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def register(admin, category) -> None:
    admin.add_view(ClassListsView(name="Listes de classes", category=category,
                                  endpoint="listes_classes", url="/eleves/listes/"))
