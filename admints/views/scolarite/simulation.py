"""The portal under a staff member's simulation (R-POR-4, guide §4.2.1): read-only.

Every request of the portal's blueprint goes through `_read_only_guard`: while the viewer is a
simulation (`Viewer.read_only`), anything but GET/HEAD, and the GET endpoints that change state
(`STATE_CHANGING_GETS`: the activation link), is refused with 403 and a French page, whatever
the page showed — so a form added to the portal later is covered without a word here. Only
« Terminer la simulation » (`fin_simulation`, a POST with its CSRF token) is let through.
A simulation found over during the request (expired, staff logged out…: identity.current_viewer
asks admints.portail.simulation) is journaled and ends on a page that leads back to the
back-office. `portail_lecture_seule()` tells the templates (ui.button disables itself).
"""

from __future__ import annotations

from flask import g, redirect, request, url_for

from ...extensions import db
from ...portail import identity, simulation
from .blueprint import bp, render

END_ENDPOINT = "scolarite.fin_simulation"
# GET endpoints of the portal that change something: refused under simulation.
STATE_CHANGING_GETS = frozenset({"scolarite.activation"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED = ("Accès en consultation seule : cette action n'est pas possible pendant la simulation. "
           "Aucune modification n'a été effectuée.")


@bp.app_template_global("portail_lecture_seule")
def portail_lecture_seule() -> bool:
    """Whether the portal page being rendered is seen under a simulation (the viewer the view
    already read: no database access from a template)."""
    viewer = g.get("portail_viewer")
    return bool(viewer is not None and viewer.read_only)


@bp.before_request
def _read_only_guard():
    ended = identity.ended_simulation()
    if ended is not None:
        binding, compte, reason = ended
        simulation.record_end(binding, compte, reason)
        identity.sign_out()
        db.session.commit()
        return render("simulation_fin.html", message=simulation.ENDED[reason],
                      retour=simulation.return_path(binding))
    viewer = identity.current_viewer()
    if viewer is None or not viewer.read_only or request.endpoint == END_ENDPOINT:
        return None
    if request.method in SAFE_METHODS and request.endpoint not in STATE_CHANGING_GETS:
        return None
    return render("erreur.html", code=403, title="Accès en consultation seule",
                  message=REFUSED), 403


@bp.route("/simulation/fin", methods=["POST"])
def fin_simulation():
    """« Terminer la simulation »: journaled, the portal session ended, back to « Gérer le
    compte » (the staff session was never touched)."""
    binding = identity.current_simulation()
    if binding is None:
        return redirect(url_for("scolarite.connexion"))
    simulation.finish(binding, identity.current_viewer().compte_id)
    identity.sign_out()
    db.session.commit()
    return redirect(simulation.return_path(binding))
