"""What the confirmation pages say before an irreversible act (issue 12 point 6), in the guide's
words: the one place for this wording, so no template writes its own.

Every irreversible act of the back-office is confirmed on the server: the first POST renders a
page built from a `Confirmation` (title, what will happen, what cannot be undone), the page posts
the same fields back with `confirme=1` (and its own CSRF token), and only that second POST acts.
This module only words; the views decide when to ask (`admints.views.confirmation`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .comptes import notification

CONFIRM_FIELD = "confirme"


@dataclass(frozen=True)
class Confirmation:
    """One confirmation page: `lines` say what will happen, `warning` what cannot be undone."""

    title: str
    lines: tuple[str, ...]
    warning: str | None = None
    button: str = "Confirmer"


# What each transmission mode does (R-ACC-4), shown next to the choice and on the confirmation.
MODE_EFFECTS: dict[str, str] = {
    notification.COURRIEL_ET_PAPIER: "Courriel et papier : un courriel est envoyé lorsque "
    "l'adresse de messagerie est valide, un courrier papier est produit sinon.",
    notification.COURRIEL: "Courriel seul : un courriel est envoyé à l'adresse de messagerie ; "
    "un compte sans adresse valide n'est pas notifié et reste dans son état.",
    notification.PAPIER: "Papier seul : un courrier est ajouté au document PDF à imprimer.",
}

# Guide §5.1, point important 6.
ELEVE_RESET_WARNING = (
    "La réinitialisation des mots de passe des élèves pour les comptes à l'état « Utilisé » est à "
    "utiliser avec précaution : elle conduit à une redistribution de mots de passe provisoires et "
    "ne favorise pas la mémorisation des mots de passe par les élèves, qui doivent choisir un "
    "nouveau mot de passe pour accéder à leur compte.")

PDF_ADVICE = ("Les courriers papier forment un seul document PDF, trié par division puis par nom, "
              "à enregistrer puis à supprimer du serveur après usage.")


WRITE_EFFECT = ("Un courriel séparé sera envoyé à chaque compte sélectionné ayant une adresse de "
                "messagerie.")


def mass_reset(count: int) -> str:
    """« Réinitialiser les mots de passe » of the ticked accounts."""
    return (f"Un nouveau mot de passe provisoire sera attribué à ces {count} compte(s) ; les "
            "mots de passe actuels ne fonctionneront plus. Notifiez ensuite les comptes pour "
            "transmettre les nouveaux mots de passe.")


def mode_effect(mode: str) -> str:
    return MODE_EFFECTS.get(mode, "")


def reset_used_account(kind: str, identifiant: str, mode: str) -> Confirmation:
    """« Renotifier et réinitialiser le mot de passe » of an account in state *Utilisé*."""
    holder = "l'élève" if kind == "eleve" else "le responsable"
    lines = (
        f"Le compte « {identifiant} » est à l'état « Utilisé » : le mot de passe choisi par "
        f"{holder} ne fonctionnera plus.",
        "Un nouveau mot de passe provisoire lui sera communiqué ; il devra choisir un nouveau "
        "mot de passe lors de sa prochaine connexion.",
        mode_effect(mode),
    )
    return Confirmation(
        title="Renotifier et réinitialiser le mot de passe",
        lines=tuple(line for line in lines if line),
        warning=ELEVE_RESET_WARNING if kind == "eleve" else
        "Cette opération est à utiliser avec précaution : le mot de passe actuel est perdu.",
        button="Confirmer la réinitialisation")


def close_service(libelle: str) -> Confirmation:
    """« Fermer » a téléservice (guide §2.1)."""
    return Confirmation(
        title=f"Fermer le téléservice « {libelle} »",
        lines=(f"Le téléservice « {libelle} » sera fermé immédiatement : les responsables et les "
               "élèves n'y auront plus accès dans « Scolarité services ».",
               "Son paramétrage est conservé : vous pourrez le rouvrir depuis cet écran."),
        button="Confirmer la fermeture")


def remove_publication_date(day: dt.date, mef: str, division: str) -> Confirmation:
    """« − » on an échéance date of Configuration Notes (R-SRV-4, guide §2.2)."""
    return Confirmation(
        title="Supprimer une date de publication",
        lines=(f"La date de publication du {day:%d/%m/%Y} sera supprimée pour {mef} / "
               f"{division}.",
               "Les évaluations de ces élèves ne seront plus rendues visibles aux familles à "
               "cette date."),
        warning="Pour la rétablir, il faudra l'ajouter de nouveau avec « + ».",
        button="Confirmer la suppression")


def reset_letter(label: str) -> Confirmation:
    """« Réinitialiser » a customised letter text (R-PAR-4, guide §3.2)."""
    return Confirmation(
        title=f"Réinitialiser « {label} »",
        lines=(f"Le texte personnalisé de « {label} » sera remplacé par la version prédéfinie "
               "du courrier.",),
        warning="Les modifications apportées à ce texte seront perdues.",
        button="Confirmer la réinitialisation")


def delete_job_pdf() -> Confirmation:
    """« Supprimer le document du serveur » (guide §4.1 and §5.1: delete the PDF after use)."""
    return Confirmation(
        title="Supprimer le document du serveur",
        lines=("Le document PDF des courriers de notification sera supprimé du serveur : il ne "
               "pourra plus être téléchargé.",
               "Enregistrez-le ou imprimez-le avant si ce n'est pas déjà fait."),
        warning="Les mots de passe provisoires qu'il contient ne pourront plus être réimprimés "
                "sans une nouvelle notification.",
        button="Confirmer la suppression")


def delete_job_csv() -> Confirmation:
    """« Supprimer le fichier du serveur » of a large CSV export (issue 14): it lists the
    families' identifiers and addresses."""
    return Confirmation(
        title="Supprimer le fichier du serveur",
        lines=("Le fichier CSV de l'export sera supprimé du serveur : il ne pourra plus être "
               "téléchargé.",
               "Enregistrez-le avant si ce n'est pas déjà fait."),
        warning="Pour l'obtenir de nouveau, il faudra relancer l'export depuis la liste.",
        button="Confirmer la suppression")


def delete_record(what: str) -> Confirmation:
    """The delete button of a row (Flask-Admin lists)."""
    return Confirmation(
        title="Supprimer un élément",
        lines=(f"« {what} » sera supprimé définitivement.",),
        warning="Cette suppression ne peut pas être annulée.",
        button="Confirmer la suppression")


def delete_records(count: int) -> Confirmation:
    """« Supprimer » applied to the ticked rows of a list."""
    return Confirmation(
        title="Supprimer les éléments sélectionnés",
        lines=(f"{count} élément(s) sélectionné(s) seront supprimés définitivement.",),
        warning="Cette suppression ne peut pas être annulée.",
        button="Confirmer la suppression")
