"""« Listes de classes » under Accès des élèves (R-ACC-11, guide §5.3).

Choose a division, or a group among those that have pupils (with a name filter); the page shows
the class list with R-ACC-11's masking, and offers the PDF (alphabetical) and the CSV (cells
neutralised). Rows, masking and files come from `csvexport` / `class_list` (domain modules);
this view only checks the class belongs to the establishment and audits each download (the
files carry temporary passwords). Hence also (R-SEC-5): open to the élèves menu's users but not
the helpdesk, and every answer, page or file, is sent `Cache-Control: no-store`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, abort, current_app, flash, make_response, request, send_file
from flask_admin import expose
from flask_login import current_user

from .. import audit, bounded, clock, permissions
from ..cache_control import no_store
from ..errors import DomainError
from ..extensions import db
from ..models import Division, Groupe
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
        """(division_id, groupe_id, title) of the request, checked against the establishment."""
        division_id, groupe_id = _class_arg("division"), _class_arg("groupe")
        if division_id is None and groupe_id is None:
            return None, None, None
        if division_id is not None and groupe_id is not None:
            raise DomainError("Choisissez une division ou un groupe, pas les deux.")
        etab_id = self.etablissement_id()
        model, pk = (Division, division_id) if division_id is not None else (Groupe, groupe_id)
        owner = db.session.scalar(db.select(model).where(model.id == pk,
                                                         model.etablissement_id == etab_id))
        if owner is None:
            raise DomainError("Division inconnue." if model is Division else "Groupe inconnu.")
        title = f"{'Division' if model is Division else 'Groupe'} {owner.code}"
        return division_id, groupe_id, title

    def _rows(self, division_id, groupe_id):
        from .. import csvexport

        return csvexport.class_list_rows(self.etablissement_id(), division_id=division_id,
                                         groupe_id=groupe_id)

    @expose("/")
    @no_store  # the page shows temporary passwords
    def index(self):
        from .. import class_list, csvexport

        etab_id = self.etablissement_id()
        nom_groupe = (request.args.get("nom_groupe") or "").strip()[:60]
        divisions = db.session.scalars(db.select(Division).where(
            Division.etablissement_id == etab_id).order_by(Division.code)).all()
        groupes = csvexport.groupes_with_pupils(etab_id, nom_groupe)
        try:
            division_id, groupe_id, title = self._selection()
        except DomainError as exc:
            flash(exc.message, "error")
            division_id = groupe_id = title = None
        rows = self._rows(division_id, groupe_id) if title else []
        return (make_response(self.render(
            "admints/comptes/listes_classes.html", divisions=divisions, groupes=groupes,
            nom_groupe=nom_groupe, division_id=division_id, groupe_id=groupe_id, title=title,
            headers=class_list.HEADERS, rows=[class_list.class_list_values(r) for r in rows],
            query={"division": division_id} if division_id else {"groupe": groupe_id})))

    def _checked(self):
        try:
            division_id, groupe_id, title = self._selection()
        except DomainError:
            abort(404)
        if title is None:
            abort(404)
        return division_id, groupe_id, title

    @expose("/pdf")
    @no_store
    def pdf(self):
        from ..class_list import write_class_list
        from ..models import Etablissement

        division_id, groupe_id, title = self._checked()
        rows = self._rows(division_id, groupe_id)
        etab = db.session.get(Etablissement, self.etablissement_id())
        out_dir = Path(current_app.config["OUTPUT_DIR"]) / "classes"
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            path = Path(tmp) / "liste.pdf"
            write_class_list(etab, f"Liste des comptes élèves – {title}", rows, path,
                             today=clock.today())
            data = path.read_bytes()
        self._audit("pdf", title, len(rows))
        name = f"liste_{title.replace(' ', '_')}.pdf"
        return (send_file(_bytes_io(data), mimetype="application/pdf",
                                   as_attachment=True, download_name=name))

    @expose("/csv")
    @no_store
    def csv(self):
        from ..csvexport import class_list_csv

        division_id, groupe_id, title = self._checked()
        rows = self._rows(division_id, groupe_id)
        text = class_list_csv(rows)
        self._audit("csv", title, len(rows))
        name = f"liste_{title.replace(' ', '_')}.csv"
        return (Response(
            text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename=\"{name}\""}))

    def _audit(self, fmt: str, title: str, count: int) -> None:
        audit.record(f"eleve.liste_classe_{fmt}", etablissement_id=self.etablissement_id(),
                     target=title, after={"eleves": count})
        db.session.commit()


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def register(admin, category) -> None:
    admin.add_view(ClassListsView(name="Listes de classes", category=category,
                                  endpoint="listes_classes", url="/eleves/listes/"))
