"""The signed-in pages of the portal (R-POR-2): home, contact, Notes and the other open
services. They parse the URL (`?eleve=`, the service code) and render; what they show comes from
`admints.portail` (`pages`, `children`, `notes`), and a service page's visit is recorded by
`portail.visits` (never for a read-only viewer, R-POR-4). A service page is rendered before the
visit is committed: the commit would expire the rows the template reads.
"""

from __future__ import annotations

from flask import request

from ...error_pages import refuse
from ...extensions import db
from ...portail import children, identity, notes, pages, visits
from .blueprint import bp, render, today

NOT_OPEN = "Le service « {} » n'est pas ouvert par l'établissement."
NOT_YOURS = "Cet élève n'est pas rattaché à votre compte."


def _child(viewer):
    eleve, eleves = children.chosen_child(viewer, request.args.get("eleve"))
    if eleve is None:
        refuse(404, NOT_YOURS)
    return eleve, eleves


@bp.route("/")
@identity.viewer_required
def accueil():
    viewer = identity.current_viewer()
    etab = pages.etablissement_of(viewer)  # kept: render() finds it in the session
    return render("accueil.html", home=pages.home(etab, today()),
                  eleves=identity.eleves_of(viewer), nav="accueil")


@bp.route("/contact")
@identity.viewer_required
def contact():
    viewer = identity.current_viewer()
    etab = pages.etablissement_of(viewer)
    return render("contact.html", contact=pages.contact(etab, today()), nav="contact")


@bp.route("/notes")
@identity.viewer_required
def notes_page():
    viewer = identity.current_viewer()
    etab = pages.etablissement_of(viewer)
    service = pages.is_service_open(etab, notes.SERVICE_CODE)
    if service is None:
        refuse(404, NOT_OPEN.format("Notes"))
    eleve, eleves = _child(viewer)
    visits.record_visit(viewer, service, eleve)
    html = render("notes.html", service=service, eleve=eleve, eleves=eleves,
                  evaluations=notes.visible_for(eleve, today()), endpoint="scolarite.notes_page")
    db.session.commit()
    return html


@bp.route("/services/<code>")
@identity.viewer_required
def service_page(code: str):
    viewer = identity.current_viewer()
    if code == notes.SERVICE_CODE:
        refuse(404, NOT_OPEN.format("Notes"))  # its own page: one address per service
    etab = pages.etablissement_of(viewer)
    service = pages.is_service_open(etab, code[:40])
    if service is None:
        refuse(404, "Ce service n'existe pas ou n'est pas ouvert par l'établissement.")
    eleve, eleves = _child(viewer)
    visits.record_visit(viewer, service, eleve)
    html = render("service.html", service=service, eleve=eleve, eleves=eleves,
                  endpoint="scolarite.service_page")
    db.session.commit()
    return html
