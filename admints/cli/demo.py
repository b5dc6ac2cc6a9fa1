"""`admints demo`: a demo establishment (R-DAT-2), for `make run`, the tests and benchmarks.

The generated staff password is kept in `instance/demo_password` (instance/ is never committed)
so that the next `make run` (with `--if-empty`) can print it again.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from .. import clock
from ..demo import families, loader
from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement, StaffUser
from .group import admints_cli
from .output import emit, fail


def password_file() -> Path:
    """`DEMO_PASSWORD_FILE` if set; under the test output directory when testing."""
    configured = current_app.config.get("DEMO_PASSWORD_FILE")
    if configured:
        return Path(configured)
    if current_app.config.get("TESTING"):
        return Path(current_app.config["OUTPUT_DIR"]) / "demo_password"
    return Path(current_app.instance_path) / "demo_password"


def _read_password(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _store_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")


def _password_lines(password: str | None, path: Path, given: bool) -> list[str]:
    if given:
        return ["Mot de passe : celui donné par --password."]
    if password:
        return [f"Mot de passe : {password}", f"(conservé dans {path})"]
    return [f"Mot de passe : inconnu (aucun fichier {path}) ; "
            "changez-le avec « admints create-user » ou rechargez une base vide."]


@admints_cli.command("demo")
@click.option("--uai", required=True, help="UAI de l'établissement de démonstration.")
@click.option("--eleves", default="600", show_default=True, help="Nombre d'élèves.")
@click.option("--type", "type_", default="college", show_default=True,
              help="Type d'établissement : college ou lycee.")
@click.option("--seed", default="0", show_default=True,
              help="Graine : mêmes données pour la même graine.")
@click.option("--password", default=None,
              help="Mot de passe des utilisateurs (sinon généré et affiché).")
@click.option("--academie", default="demo", show_default=True, help="Code de l'académie.")
@click.option("--xml-out", type=click.Path(file_okay=False), default=None,
              help="Écrire aussi les fichiers SIECLE XML dans ce dossier.")
@click.option("--xml-only", is_flag=True,
              help="Écrire seulement les fichiers XML (avec --xml-out), sans rien charger.")
@click.option("--if-empty", is_flag=True,
              help="Ne rien faire si la base contient déjà un établissement (affiche les accès).")
@click.option("--json", "as_json", is_flag=True, help="Rapport au format JSON.")
def demo_command(uai, eleves, type_, seed, password, academie, xml_out, xml_only, if_empty,
                 as_json):
    """Crée un établissement de démonstration réaliste (élèves, responsables, comptes, accès)."""
    today = clock.today()
    path = password_file()
    try:
        try:
            seed_n = int(seed)
        except ValueError:
            raise DomainError(f"Graine invalide : « {seed[:20]} » (un entier).") from None
        if xml_only:
            if not xml_out:
                raise DomainError("--xml-only demande --xml-out DOSSIER.")
            paths = loader.write_demo_xml(xml_out, uai=uai, eleves=eleves, type=type_,
                                        seed=seed_n, today=today)
            emit({"xml_files": [str(p) for p in paths]}, as_json,
                 "Fichiers SIECLE écrits :\n" + "\n".join(f"  {p}" for p in paths))
            return
        if if_empty and loader.has_establishment():
            _print_existing(uai, academie, password, path, as_json)
            return
        given = password is not None
        if not given:
            password = _read_password(path)  # the same password across database resets
        report = loader.load_demo(uai, eleves, type_, seed_n, password, today,
                                academie=academie, xml_out=xml_out)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
        return
    if report.password:
        _store_password(path, report.password)
    shown = password if not given else None
    data = report.as_dict()
    data["password"] = report.password or shown
    data["password_file"] = None if given else str(path)
    lines = report.lines_fr() + ["", "Connexion sur http://127.0.0.1:5000/login :"]
    lines += [f"  {login}" for login in report.logins]
    lines += _password_lines(report.password or shown, path, given)
    lines += _family_lines(report.familles)
    emit(data, as_json, "\n".join(lines))


def _family_lines(logins: list[str]) -> list[str]:
    """The demo's family accounts (R-POR-2): same password as the staff users."""
    if not logins:
        return []
    return ["", "Portail des familles, http://127.0.0.1:5000/scolarite/ (même mot de passe) :",
            *[f"  {login}" for login in logins]]


def _print_existing(uai: str, academie: str, password: str | None, path: Path,
                    as_json: bool) -> None:
    """`--if-empty` on a database that has data: change nothing, show how to log in."""
    uai = (uai or "").strip().upper()
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == uai))
    if etab is None:
        etab = db.session.scalar(select(Etablissement).order_by(Etablissement.id))
    code = etab.academie.code if etab.academie else academie
    wanted = loader.staff_logins(etab.uai, code)
    logins = [login for login in wanted if db.session.scalar(
        select(StaffUser.id).where(StaffUser.login == login))]
    given = password is not None
    stored = None if given else _read_password(path)
    familles = families.family_logins(etab.id)
    data = {"skipped": True, "uai": etab.uai, "nom": etab.nom, "logins": logins,
            "familles": familles, "password": stored,
            "password_file": None if given else str(path)}
    lines = [f"La base contient déjà des données ({etab.nom}, {etab.uai}) : rien n'est chargé.",
             "Connexion sur http://127.0.0.1:5000/login :"]
    lines += [f"  {login}" for login in logins]
    lines += _password_lines(stored, path, given)
    lines += _family_lines(familles)
    emit(data, as_json, "\n".join(lines))
