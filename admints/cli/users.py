"""`admints create-user`: staff accounts from the command line."""

from __future__ import annotations

import sys

import click

from ..academie.users import create_user
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement
from .group import admints_cli
from .output import emit, fail


@admints_cli.command("create-user")
@click.option("--login", required=True, help="Identifiant de connexion.")
# A plain string: an unknown role gets the domain's French message and exit status 1.
@click.option("--role", required=True,
              help="Rôle : academie, chef, delegue, comptable ou assistance.")
@click.option("--uai", help="UAI de l'établissement (sauf rôle académie).")
@click.option("--academie", "academie_code", help="Code de l'académie (rôle académie).")
@click.option("--droit", "droits", multiple=True,
              help="Menu accordé à un délégué (services, parametrage, responsables, eleves, "
                   "statistiques).")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Lire le mot de passe sur l'entrée standard.")
@click.option("--json", "as_json", is_flag=True)
def create_user_command(login, role, uai, academie_code, droits, password_stdin, as_json):
    """Crée un utilisateur du personnel."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    etab = academie = None
    try:
        if uai:
            etab = db.session.scalar(
                db.select(Etablissement).where(Etablissement.uai == uai.strip().upper()))
            if etab is None:
                raise DomainError(f"Établissement inconnu : {uai}.")
        if academie_code:
            academie = db.session.scalar(db.select(Academie).where(Academie.code == academie_code))
            if academie is None:
                raise DomainError(f"Académie inconnue : {academie_code}.")
        elif etab is not None and role == "academie":
            academie = etab.academie
        # An académie administrator belongs to the académie of the UAI given, not to the school.
        user = create_user(login, role, password,
                           etablissement=None if role == "academie" else etab, academie=academie,
                           droits=list(droits))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    emit({"login": user.login, "role": user.role, "uai": etab.uai if etab else None},
         as_json, f"Utilisateur {user.login} créé ({user.role}).")
