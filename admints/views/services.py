"""Menu « Gestion des services »: Ouverture / fermeture (R-SRV-2/3), Configuration Notes
(R-SRV-4, in `notes_config`), Paiement en ligne des factures (R-SRV-5, area PAIEMENT).

Views are thin: they call `admints.teleservices.opening`, `admints.teleservices.paiement`, commit,
and turn a
`DomainError` into a French flash message after a rollback (nothing half-written).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from .. import clock, confirmations, permissions
from ..errors import DomainError
from ..parametrage import versions
from ..teleservices import opening, paiement
from ..tenancy import current_etablissement
from . import configuration_notes
from .base import TenantBaseView, refuse, run
from .confirmation import ask, confirmed

CATEGORY = "Gestion des services"



class OuvertureView(TenantBaseView):
    """Ouverture / fermeture of national and academic services."""

    area = permissions.SERVICES

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab = current_etablissement()
        self.etablissement_id()
        if not opening.is_activated(etab):
            flash("Activez d'abord les téléservices de l'établissement.", "warning")
            return redirect(url_for("admin.index"))
        if request.method == "POST":
            ouvert = request.form.get("ouvert") == "1"
            closing = None if ouvert else opening.closing_target(
                etab, request.form.get("teleservice_id"))
            if closing is not None and not confirmed():
                return ask(self, confirmations.close_service(closing.libelle),
                           cancel_url=url_for(".index"))
            row, ok = run(lambda: opening.set_open(
                etab, request.form.get("teleservice_id"), ouvert, today=clock.today()))
            if ok:
                flash(f"Le téléservice « {row.teleservice.libelle} » est "
                      f"{'ouvert' if ouvert else 'fermé'}.", "success")
            return redirect(url_for(".index"))
        states = opening.service_states(etab)
        return self.render("admints/services/ouverture.html", etablissement=etab,
                           nationaux=[s for s in states if not s.academique],
                           academiques=[s for s in states if s.academique])


class PaiementView(TenantBaseView):
    """Paiement en ligne des factures: TIPI number, minimum amount, contact email."""

    area = permissions.PAIEMENT

    def _page(self, etab, form, regie=None, step="saisie"):
        day = clock.today()
        return self.render(
            "admints/services/paiement.html", form=form, regie=regie, step=step,
            en_vigueur=versions.get(etab.id, paiement.KEY, day),
            enregistre=versions.get_latest(etab.id, paiement.KEY),
            en_attente=versions.pending_from(etab.id, paiement.KEY, day),
            notice=versions.notice(paiement.KEY, day), format_amount=paiement.format_amount,
            service_ouvert=opening.is_open(etab, "paiement"))

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab = current_etablissement()
        self.etablissement_id()
        saved = versions.get_latest(etab.id, paiement.KEY) or {}
        form = {"numero": saved.get("numero_tipi", ""), "montant": saved.get("montant_minimum", ""),
                "email": saved.get("email", "")}
        if request.method == "GET":
            return self._page(etab, form)
        form = {k: (request.form.get(k) or "").strip() for k in ("numero", "montant", "email")}
        try:
            value = paiement.validate(etab, form["numero"], form["montant"], form["email"])
        except DomainError as exc:
            refuse(exc, field_errors=True)  # the form again, the error beside its field
            return self._page(etab, form), 400
        if request.form.get("confirmer") != "1":
            # Guide §8.2: the régie found is shown and the user confirms.
            return self._page(etab, form, regie=value["regie"], step="confirmation")
        effective, ok = run(lambda: paiement.save(etab, form["numero"], form["montant"],
                                                  form["email"], today=clock.today(),
                                                  by=current_user.login))
        if ok:
            flash("Paramètres du paiement en ligne enregistrés. Ils seront pris en compte par "
                  f"le téléservice à partir du {effective:%d/%m/%Y}.", "success")
        return redirect(url_for(".index"))


def register(admin) -> None:
    admin.add_view(OuvertureView(name="Ouverture / fermeture", category=CATEGORY,
                                 endpoint="services_ouverture", url="/services/ouverture"))
    configuration_notes.register(admin, CATEGORY)
    admin.add_view(PaiementView(name="Paiement en ligne des factures", category=CATEGORY,
                                endpoint="services_paiement", url="/services/paiement"))
