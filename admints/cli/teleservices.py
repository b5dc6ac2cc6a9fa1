"""`admints tipi-import` and `admints activer`: the académie's TIPI référentiel from a CSV file
(R-SRV-5) and the activation of an establishment's services (R-SRV-1) from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement
from ..teleservices import opening, paiement
from .group import admints_cli
from .output import emit, fail


@admints_cli.command("tipi-import")
@click.option("--academie", "academie_code", required=True, help="Code de l'académie.")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def tipi_import_command(academie_code, fichier, as_json):
    """Importe le référentiel TIPI (CSV « numéro ; régie ») d'une académie."""
    try:
        academie = db.session.scalar(db.select(Academie).where(Academie.code == academie_code))
        if academie is None:
            raise DomainError(f"Académie inconnue : {academie_code}.")
        with fichier.open("rb") as handle:  # more than the limit is refused, unread
            data = handle.read(paiement.MAX_CSV_BYTES + 1)
        result = paiement.import_referentiel(academie, data)
    except DomainError as exc:
        db.session.rollback()
        fail(exc, as_json)
    db.session.commit()
    emit(result, as_json, f"Référentiel TIPI de l'académie {academie_code} : "
                          f"{result['crees']} régie(s) créée(s), {result['modifies']} modifiée(s).")


@admints_cli.command("activer")
@click.option("--uai", required=True, help="UAI de l'établissement.")
@click.option("--json", "as_json", is_flag=True)
def activate_command(uai, as_json):
    """Active les téléservices d'un établissement (une seule fois)."""
    try:
        etab = db.session.scalar(
            db.select(Etablissement).where(Etablissement.uai == uai.strip().upper()))
        if etab is None:
            raise DomainError(f"Établissement inconnu : {uai}.")
        opening.activate(etab, today=clock.today(), by="cli")
    except DomainError as exc:
        db.session.rollback()
        fail(exc, as_json)
    db.session.commit()
    emit({"uai": etab.uai, "active": True}, as_json,
         f"Téléservices de {etab.nom} ({etab.uai}) activés.")
