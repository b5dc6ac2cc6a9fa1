"""Who may open which menu area (docs/REGLES.md §1), and which documents with temporary passwords
inside it (R-SEC-5). One table, asked by every view and action."""

from __future__ import annotations

from .models import DROITS_DELEGUE, Role, StaffUser

# Menu areas. The five of the guide, then the product's own.
SERVICES = "services"
PARAMETRAGE = "parametrage"
RESPONSABLES = "responsables"
ELEVES = "eleves"
STATISTIQUES = "statistiques"
PAIEMENT = "paiement"  # online payment settings (R-SRV-5): head and comptable
DONNEES = "donnees"  # SIECLE import
JOURNAL = "journal"  # audit trail
ACADEMIE_ADMIN = "academie_admin"  # establishments, staff users, académie lists
UTILISATEURS = "utilisateurs"  # staff users of one establishment (DELEG-CE): head and académie

# Areas the helpdesk may open for individual account help (no mass action, no settings).
ASSISTANCE_AREAS = {RESPONSABLES, ELEVES}

# The menu a job (a notification's letters' PDF and recap, a mass email's recap, a large CSV
# export) belongs to (R-SEC-5): who may open that account list may open its jobs.
JOB_AREAS = {"notification_eleve": ELEVES, "notification_responsable": RESPONSABLES,
             "ecriture_responsables": RESPONSABLES,  # comptes.writing.JOB_KIND
             "export_eleve": ELEVES, "export_responsable": RESPONSABLES}  # comptes.export_jobs
# Jobs only a mass action starts (an export): never the helpdesk's, whatever their size.
MASS_JOBS = {"export_eleve", "export_responsable"}
# « Tâches » also lists the SIECLE imports run as jobs (siecle.import_job.JOB_KIND) to whoever
# may import; their page stays under « Données SIECLE ».
LISTED_JOB_AREAS = {**JOB_AREAS, "import_siecle": DONNEES}


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


def _is_helpdesk(user) -> bool:
    return getattr(user, "role", None) == Role.ASSISTANCE


def can_open_documents(user: StaffUser | None, area: str) -> bool:
    """The establishment's documents with temporary passwords of a menu (mass notification
    letters, class lists): that menu's users, never the helpdesk (R-SEC-5)."""
    return allowed(user, area) and not _is_helpdesk(user)


def can_create_new_account(user: StaffUser | None, area: str) -> bool:
    """« Créer un nouveau compte » (guide §4.2/§5.2): the guide gives it to the establishment,
    i.e. the head and the délégués of that menu; the helpdesk helps with existing accounts."""
    return allowed(user, area) and not _is_helpdesk(user)


# Guide §4.2.1: who may see the portal as a family does (R-POR-4). Not the académie, not the
# comptable.
SIMULATION_ROLES = (Role.CHEF, Role.DELEGUE, Role.ASSISTANCE)


def can_simulate(user: StaffUser | None, area: str) -> bool:
    """« Simuler l'accès de la famille » of an account of menu `area` (élèves / responsables):
    the head, the délégués holding that menu and the helpdesk (R-POR-4)."""
    return allowed(user, area) and getattr(user, "role", None) in SIMULATION_ROLES


# Guide §1.3/§1.4: the head (or the académie acting for it) activates the services.
ACTIVATION_ROLES = (Role.CHEF, Role.ACADEMIE)


def can_activate_services(user: StaffUser | None) -> bool:
    """« Activer les téléservices » on the home page (R-SRV-1): the head or the académie."""
    return (user is not None and bool(getattr(user, "is_authenticated", False))
            and getattr(user, "role", None) in ACTIVATION_ROLES)


def can_edit_fiche(user: StaffUser | None) -> bool:
    """« Fiche établissement » (issue 12, guide §3.2.1): the head fills in its establishment's
    details, the académie those of its establishments; a délégué of Paramétrage only reads."""
    return (user is not None and bool(getattr(user, "is_authenticated", False))
            and getattr(user, "role", None) in (Role.CHEF, Role.ACADEMIE))


def listed_job_kinds(user: StaffUser | None) -> list[str]:
    """The job kinds « Tâches » may list to `user`: those whose menu they may open."""
    return [kind for kind, area in LISTED_JOB_AREAS.items() if allowed(user, area)]


def can_list_job(user: StaffUser | None, job) -> bool:
    """Whether « Tâches » lists `job` to `user`: a job they may open (`can_open_job`), or an
    import if they may import (never the helpdesk's: not one of its menus)."""
    if job.kind in JOB_AREAS:
        return can_open_job(user, job)
    area = LISTED_JOB_AREAS.get(job.kind)
    return area is not None and allowed(user, area) and not _is_helpdesk(user)


def can_open_job(user: StaffUser | None, job) -> bool:
    """A job (page, state, PDF or CSV, deletion) belongs to the menu of its kind. The helpdesk
    sees only the job of its own individual help: one account, started by itself (never an
    export: a mass action)."""
    area = JOB_AREAS.get(job.kind)
    if area is None or not allowed(user, area):
        return False
    if not _is_helpdesk(user):
        return True
    if job.kind in MASS_JOBS:
        return False
    compte_ids = (job.params or {}).get("compte_ids") or []
    return job.created_by == user.login and len(compte_ids) == 1
