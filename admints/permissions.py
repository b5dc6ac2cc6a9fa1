"""Who may open which menu area (FEATURES §1). One table, asked by every view and action."""

from __future__ import annotations

from .models import DROITS_DELEGUE, Role, StaffUser

# Menu areas. The five of the guide, then the product's own.
SERVICES = "services"
PARAMETRAGE = "parametrage"
RESPONSABLES = "responsables"
ELEVES = "eleves"
STATISTIQUES = "statistiques"
PAIEMENT = "paiement"  # online payment settings (§2.3): head and comptable
DONNEES = "donnees"  # SIECLE import
JOURNAL = "journal"  # audit trail
ACADEMIE_ADMIN = "academie_admin"  # establishments, staff users, académie lists
UTILISATEURS = "utilisateurs"  # staff users of one establishment (DELEG-CE): head and académie

# Areas the helpdesk may open for individual account help (no mass action, no settings).
ASSISTANCE_AREAS = {RESPONSABLES, ELEVES}


def allowed(user: StaffUser | None, area: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.actif:
        return False
    role = user.role
    if role == Role.ACADEMIE:
        return True
    if area == ACADEMIE_ADMIN:
        return False
    if role == Role.CHEF:
        return True
    if role == Role.DELEGUE:
        return area in DROITS_DELEGUE and area in (user.droits or [])
    if role == Role.COMPTABLE:
        return area == PAIEMENT
    if role == Role.ASSISTANCE:
        return area in ASSISTANCE_AREAS
    return False


def can_mass_act(user: StaffUser | None) -> bool:
    """Bulk actions on account lists: everyone who may open the list but the helpdesk."""
    return user is not None and getattr(user, "role", None) != Role.ASSISTANCE
