"""`admints etablissement`: print and set the Fiche établissement (issue 12 point 2), for académies
that script their deployments. Same checks as the screen (`parametrage.fiche`); one commit when
everything passed, else a French message and exit code 1 with nothing changed."""

from __future__ import annotations

import click

from ..academie import etablissements
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement
from ..parametrage import fiche
from .group import admints_cli
from .output import emit, fail

# CLI option -> Fiche field.
OPTIONS = {"nom": "nom", "adresse": "adresse", "code_postal": "code_postal", "ville": "ville",
           "telephone": "telephone", "courriel": "courriel", "chef": "chef_nom",
           "titre": "chef_titre"}


def _report(etab: Etablissement) -> tuple[dict, str]:
    values = fiche.values(etab)
    missing = fiche.missing_header_fields(etab)
    data = {"uai": etab.uai, "academie": etab.academie.nom if etab.academie else None,
            **values, "en_tete_complet": not missing, "a_renseigner": missing}
    lines = [f"Fiche établissement {etab.uai}",
             f"  Académie : {data['academie'] or '(non rattaché)'}"]
    lines += [f"  {label} : {values[key] or '—'}" for key, (label, _) in fiche.FIELDS.items()]
    lines.append("  En-tête des courriers : complet" if not missing
                 else "  En-tête des courriers incomplet, à renseigner : " + ", ".join(missing))
    return data, "\n".join(lines)


@admints_cli.command("etablissement")
@click.option("--uai", required=True, help="UAI de l'établissement.")
@click.option("--nom", default=None, help="Nom de l'établissement.")
@click.option("--adresse", default=None, help="Adresse (une ligne).")
@click.option("--code-postal", "code_postal", default=None, help="Code postal (5 chiffres).")
@click.option("--ville", default=None, help="Ville.")
@click.option("--telephone", default=None, help="Téléphone (ex. 03 20 00 00 00).")
@click.option("--courriel", default=None,
              help="Courriel de l'établissement (réponses des familles).")
@click.option("--chef", default=None, help="Nom du chef d'établissement (« Prénom Nom »).")
@click.option("--titre", default=None, help="Titre du chef (ex. « La principale »).")
@click.option("--academie", "academie_code", default=None,
              help="Code de l'académie à laquelle rattacher un établissement qui n'en a pas.")
@click.option("--json", "as_json", is_flag=True, help="La fiche en un objet JSON.")
def etablissement_command(uai: str, academie_code: str | None, as_json: bool, **options) -> None:
    """Affiche la fiche d'un établissement et, avec des options, la modifie (mêmes contrôles
    que l'écran « Fiche établissement »)."""
    try:
        etab = db.session.scalar(db.select(Etablissement).where(
            Etablissement.uai == etablissements.normalise_uai(uai)))
        if etab is None:
            raise DomainError(f"Établissement inconnu : {uai.strip().upper()[:20]}.")
        changes = {OPTIONS[k]: v for k, v in options.items() if v is not None}
        if changes:
            fiche.update_fiche(etab, changes, by="cli")
        if academie_code is not None:
            academie = db.session.scalar(db.select(Academie).where(
                Academie.code == academie_code.strip().lower()))
            if academie is None:
                raise DomainError(f"Académie inconnue : « {academie_code.strip()[:40]} ».")
            etablissements.attach_to_academie(etab, academie.id, by="cli")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    data, text = _report(etab)
    emit(data, as_json, text)
