"""`admints stats`: the three summaries (R-STA-1..3) of an establishment, or the académie
roll-up, as text or JSON — for reports sent by cron."""

from __future__ import annotations

import click

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement
from ..statistiques import rollups, summaries, visits
from .group import admints_cli
from .output import emit, fail

P = summaries.format_pourcentage


def _eleves_text(ligne) -> str:
    return (f"{ligne.libelle.rstrip(' :')} : {ligne.eleves} élèves, "
            f"{ligne.non_notifies} non notifiés, {ligne.notifies} notifiés, "
            f"{ligne.utilises} utilisés ({P(ligne.pct_utilises)})")


def _resp_text(ligne) -> str:
    return (f"{ligne.libelle.rstrip(' :')} : {ligne.comptes} comptes, "
            f"{ligne.non_notifies} non notifiés, "
            f"{ligne.notifies} notifiés ou en cours d'activation "
            f"(dont {ligne.notifies_annee} cette année), {ligne.utilises} utilisés "
            f"({P(ligne.pct_comptes_utilises)} des comptes, "
            f"{P(ligne.pct_eleves_resp_utilise)} des élèves)")


def _acces_text(acces: visits.SyntheseAcces) -> list[str]:
    lines = [f"Accès aux téléservices {acces.periode.libelle} : {acces.total}"]
    lines += [f"  {mois} : {n}" for mois, n in acces.par_mois]
    lines += ["  Par catégorie :"] + [f"    {c} : {n}" for c, n in acces.par_categorie]
    lines += ["  Par MEFSTAT :"] + [f"    {s} {li} : {n}".replace("  :", " :")
                                     for s, li, n in acces.par_mefstat]
    return lines


def _synthese_text(title: str, synthese: summaries.Synthese, fmt) -> list[str]:
    lines = [title, "  " + fmt(synthese.etablissement)]
    for table in synthese.mefs:
        lines.append(f"  {table.libelle} :")
        lines += ["    " + fmt(li) for li in [*table.lignes, table.somme]]
    return lines


@admints_cli.command("stats")
@click.option("--uai", help="UAI de l'établissement.")
@click.option("--academie", "academie_code",
              help="Code de l'académie (une ligne par établissement).")
@click.option("--du", "debut", help="Début de la période des accès (AAAA-MM-JJ).")
@click.option("--au", "fin", help="Fin de la période des accès (AAAA-MM-JJ).")
@click.option("--json", "as_json", is_flag=True)
def stats_command(uai, academie_code, debut, fin, as_json):
    """Synthèses des comptes élèves, des comptes responsables et des accès téléservices."""
    try:
        if bool(uai) == bool(academie_code):
            raise DomainError("Indiquez soit --uai, soit --academie.")
        periode = visits.parse_periode(debut, fin, clock.today())
        if uai:
            etab = db.session.scalar(
                db.select(Etablissement).where(Etablissement.uai == uai.strip().upper()))
            if etab is None:
                raise DomainError(f"Établissement inconnu : {uai}.")
            eleves = summaries.synthese_eleves(etab.id)
            responsables = summaries.synthese_responsables(etab.id)
            acces = visits.synthese_acces(etab.id, periode)
            data = {"uai": etab.uai, "nom": etab.nom, "eleves": eleves.as_dict(),
                    "responsables": responsables.as_dict(), "acces": acces.as_dict()}
            text = [f"{etab.nom} ({etab.uai}) – année {etab.annee_label}"]
            text += _synthese_text("Synthèse comptes élèves", eleves, _eleves_text)
            text += _synthese_text("Synthèse comptes responsables", responsables, _resp_text)
            text += _acces_text(acces)
        else:
            academie = db.session.scalar(
                db.select(Academie).where(Academie.code == academie_code.strip()))
            if academie is None:
                raise DomainError(f"Académie inconnue : {academie_code}.")
            tot_e, lignes_e = rollups.rollup_eleves(academie.id)
            tot_r, lignes_r = rollups.rollup_responsables(academie.id)
            acces, categories, lignes_a = rollups.rollup_acces(academie.id, periode)
            data = {"academie": academie.code,
                    "eleves": {"total": tot_e.as_dict(),
                               "etablissements": [li.as_dict() for li in lignes_e]},
                    "responsables": {"total": tot_r.as_dict(),
                                     "etablissements": [li.as_dict() for li in lignes_r]},
                    "acces": {**acces.as_dict(), "categories": categories,
                              "etablissements": [li.as_dict() for li in lignes_a]}}
            text = [f"Académie {academie.nom} ({academie.code})", "Synthèse comptes élèves"]
            text += ["  " + _eleves_text(li) for li in [*lignes_e, tot_e]]
            text += ["Synthèse comptes responsables"]
            text += ["  " + _resp_text(li) for li in [*lignes_r, tot_r]]
            text += _acces_text(acces)
            text += [f"  {li.libelle} ({li.uai}) : {li.total}" for li in lignes_a]
    except DomainError as error:
        fail(error, as_json)
    emit(data, as_json, "\n".join(text))
