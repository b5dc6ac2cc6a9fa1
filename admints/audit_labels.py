"""The Journal in words (issue 12 point 9, R-SEC-3): an audit action code
(`responsable.notifier`) as a French label (« Notification de responsables »), and a stored
before/after value (short JSON, admints.audit.short) as readable (label, value) pairs.

Codes are written by `audit.record` all over the domain; most are listed in `LABELS`, the
composed ones (`<kind>.notifier`, `<table>.<what>`, `parametre.<key>`) are built from their
parts. An unknown code is shown as it is: the Journal never hides an entry.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from .formatting import format_date, format_datetime

LABELS = {
    "connexion": "Connexion",
    "connexion.echec": "Échec de connexion",
    "connexion.blocage": "Connexions bloquées (trop d'échecs pour cet identifiant)",
    "deconnexion": "Déconnexion",
    "etablissement.choix": "Choix de l'établissement",
    "etablissement.creation": "Création d'établissement",
    "etablissement.modification": "Modification d'établissement",
    "utilisateur.creation": "Création d'utilisateur",
    "utilisateur.modification": "Modification d'utilisateur",
    "utilisateur.mot_de_passe": "Changement de mot de passe",
    "utilisateur.desactivation": "Désactivation d'utilisateur",
    "utilisateur.activation": "Réactivation d'utilisateur",
    "etablissement.fiche": "Modification de la fiche établissement",
    "etablissement.fiche_siecle": "Fiche établissement complétée par l'import SIECLE",
    "etablissement.rattachement": "Rattachement d'un établissement à l'académie",
    "services.activation": "Activation des téléservices",
    "services.ouverture": "Ouverture d'un téléservice",
    "services.fermeture": "Fermeture d'un téléservice",
    "import.siecle": "Import SIECLE",
    "compte.activation": "Activation d'un compte",
    "compte.courriel": "Changement d'adresse électronique d'un compte",
    "compte.expire": "Suppression d'un compte expiré",
    "compte.nouveau": "Création d'un compte",
    "compte.premiere_connexion": "Première connexion d'un compte",
    "compte.reinitialiser": "Réinitialisation du mot de passe d'un compte",
    "compte.validation_courriel": "Validation de l'adresse électronique d'un compte",
    "eleve.ecrire": "Courriel à des élèves",
    "responsable.ecrire": "Courriel à des responsables",
    "eleve.liste_classe_pdf": "Liste de classe (PDF)",
    "eleve.liste_classe_csv": "Liste de classe (CSV)",
    "notification.pdf_supprime": "Suppression d'un document de notification",
    "notification.pdf_telecharge": "Téléchargement d'un document de notification",
    "export_csv.supprime": "Suppression d'un fichier d'export CSV",
    "export_csv.telecharge": "Téléchargement d'un fichier d'export CSV",
    "tache.interrompue": "Tâche interrompue",
    "notes.date_publication.ajout": "Ajout d'une date de publication des notes",
    "notes.date_publication.ajout_masse": "Ajout de dates de publication des notes",
    "notes.date_publication.suppression": "Suppression d'une date de publication des notes",
    "academie.services_obligatoires": "Services obligatoires de l'académie",
    "academie.tipi.import": "Import du référentiel TIPI",
    "demo.chargement": "Chargement d'un établissement de démonstration",
    "demo.referentiels": "Référentiels de démonstration",
    "portail.connexion": "Connexion à Scolarité services",
    "portail.connexion_echec": "Échec de connexion à Scolarité services",
    "portail.deconnexion": "Déconnexion de Scolarité services",
    "portail.blocage": "Connexions bloquées à Scolarité services",
    "portail.verrouillage": "Compte verrouillé (Scolarité services)",
    "portail.mot_de_passe": "Changement de mot de passe (Scolarité services)",
    "portail.naissance_erreur": "Date de naissance erronée (Scolarité services)",
    "portail.nouveau_lien": "Nouveau lien d'activation (Scolarité services)",
    "portail.oubli": "Demande d'aide à la connexion (Scolarité services)",
    "portail.oubli_identifiant": "Identifiant oublié (Scolarité services)",
    "portail.oubli_mot_de_passe": "Mot de passe oublié (Scolarité services)",
    "portail.simulation.debut": "Début d'une simulation de l'accès à Scolarité services",
    "portail.simulation.fin": "Fin d'une simulation de l'accès à Scolarité services",
}
KINDS = {"responsable": "de responsables", "eleve": "d'élèves", "compte": "de comptes"}
KIND_ACTIONS = {
    "notifier": "Notification",
    "reinitialiser": "Réinitialisation des mots de passe",
    "export_csv": "Export CSV",
}
VERBS = {"creation": "Création", "modification": "Modification", "suppression": "Suppression"}
TABLES = {
    "lien_utile": "lien utile", "ent_academique": "ENT académique",
    "tipi_regie": "régie TIPI", "teleservice": "service académique",
    "date_publication": "date de publication des notes", "parametre": "paramètre",
    "etablissement": "établissement", "staff_user": "utilisateur",
}
SETTINGS = {
    "message_accueil": "message d'accueil", "ent": "lien ENT", "contact": "lien de contact",
    "paiement": "paiement en ligne", "notes": "configuration des notes",
}
FIELDS = {
    "active_le": "activé le", "par": "par", "eleves": "élèves", "responsables": "responsables",
    "crees": "créés", "modifies": "modifiés", "limite": "limite", "demande": "demande",
    "role": "rôle", "origine": "origine", "actif": "actif", "droits": "menus accordés",
    "nom": "nom", "ville": "ville", "courriel": "courriel", "email": "courriel",
    "annee_scolaire": "année scolaire", "chef_nom": "chef d'établissement", "type": "type",
    "seed": "graine", "created": "créés", "updated": "mis à jour", "left": "partis",
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def action_label(code: str | None) -> str:
    """« Notification de responsables » for `responsable.notifier`; an unknown code as is."""
    if not code:
        return ""
    if code in LABELS:
        return LABELS[code]
    head, _, tail = code.rpartition(".")
    if head in KINDS and tail in KIND_ACTIONS:
        return f"{KIND_ACTIONS[tail]} {KINDS[head]}"
    if head == "parametre" or code.startswith("parametre."):
        key = code.removeprefix("parametre.")
        if key.startswith("courrier."):
            return f"Paramétrage : texte du courrier « {key.removeprefix('courrier.')} »"
        return f"Paramétrage : {SETTINGS.get(key, key.replace('_', ' '))}"
    if tail in VERBS:
        academie = head.startswith("academie.")
        table = head.removeprefix("academie.")
        what = TABLES.get(table, table.replace("_", " "))
        return f"{VERBS[tail]} : {what}" + (" (liste académique)" if academie else "")
    return code


def _value(value: object) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, str):
        if _ISO_DAY.match(value):
            try:
                return format_date(dt.date.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_MOMENT.match(value):
            try:
                return format_datetime(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        return value
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{_field(k)} : {_value(v)}" for k, v in value.items()) or "—"
    return str(value)


def _field(key: object) -> str:
    return FIELDS.get(str(key), str(key).replace("_", " "))


def readable(stored: str | None) -> list[tuple[str, str]]:
    """A stored before/after as (label, value) pairs; a plain value is one pair with no label.
    Text that is not JSON (a message, an identifier) is shown as it is."""
    if stored is None or stored == "":
        return []
    try:
        value = json.loads(stored)
    except (ValueError, TypeError):
        return [("", stored)]
    if isinstance(value, dict):
        return [(_field(k), _value(v)) for k, v in value.items()]
    return [("", _value(value))]
