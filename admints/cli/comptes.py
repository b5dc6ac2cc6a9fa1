"""`admints notify` and `admints purge-expired` (issue 3 points 8 and 9).

`notify` runs one notification job in this process through the outbox (passwords stored
before anything leaves, each delivery recorded as it happens, see `admints.comptes.notification`):
if the process dies, `flask admints jobs --recover` reports it « interrompue » and
`flask admints jobs --resume N` completes it. `purge-expired` commits once at the end and is
safe to run daily.
"""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app

from .. import clock
from ..clock import utcnow
from ..comptes import activation, job_files, lifecycle, notification, notification_jobs, selection
from ..comptes.selection import AccountFilters
from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement, EtatCompte
from .group import admints_cli
from .output import emit, fail

ETATS = [e.value for e in EtatCompte]


def _etab(uai: str) -> Etablissement:
    etab = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == uai.upper()))
    if etab is None:
        raise DomainError(f"Établissement inconnu : {uai}.")
    return etab


def notify_selection(etab: Etablissement, kind: str, divisions: tuple[str, ...],
                     etats: tuple[str, ...], niveaux: tuple[int, ...] = (), *,
                     expire_le: dt.date | None = None) -> list[int]:
    """The open accounts the options select — the lists' own query (comptes.selection); all
    divisions, states and levels when none is given; `expire_le`: only the accounts that
    expire by that day (R-ACC-10)."""
    filters = AccountFilters(
        divisions=selection.division_ids(etab.id, divisions) if divisions else None,
        etats=tuple(etats) or None, niveaux=tuple(niveaux) or None, open_only=True,
        expire_le=expire_le)
    return selection.compte_ids(selection.select_accounts(etab.id, kind, filters))


@admints_cli.command("notify")
@click.option("--uai", required=True, help="UAI de l'établissement.")
@click.option("--kind", required=True, type=click.Choice(["eleve", "responsable"]))
@click.option("--division", "divisions", multiple=True, help="Division (répétable ; toutes sinon).")
@click.option("--etat", "etats", multiple=True, type=click.Choice(ETATS),
              help="État du compte (répétable ; tous sinon).")
@click.option("--niveau", "niveaux", multiple=True, type=click.IntRange(1, 2),
              help="Responsables : légal 1 ou 2 (répétable ; les deux sinon).")
@click.option("--mode", default="papier",
              type=click.Choice(list(notification.MODES)))
@click.option("--expire-dans", "expire_dans", type=click.IntRange(0, 366),
              help="Seulement les comptes Notifié / En cours d'activation qui expirent dans "
                   "ce nombre de jours (30 : « expire dans les 30 jours »).")
@click.option("--reset-used", is_flag=True,
              help="Réinitialiser les mots de passe des comptes Utilisé.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Fichier PDF des courriers.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date du jour (AAAA-MM-JJ).")
@click.option("--json", "as_json", is_flag=True)
def notify_command(uai, kind, divisions, etats, niveaux, mode, expire_dans, reset_used,
                   out_path, today, as_json):
    """Notifie les comptes filtrés (courriers PDF et/ou courriels), en une seule tâche."""
    today = today.date() if today else clock.today()
    try:
        etab = _etab(uai)
        ids = notify_selection(
            etab, kind, divisions, etats, niveaux,
            expire_le=None if expire_dans is None else today + dt.timedelta(days=expire_dans))
        with click.progressbar(length=max(len(ids), 1), label="Notification",
                               file=sys.stderr) as bar:
            seen = [0]

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - seen[0])
                seen[0] = done

            job = notification_jobs.start_notification(
                etab.id, kind, ids, mode=mode, reset_used=reset_used, today=today, by="cli",
                out_path=out_path, inline=True, on_progress=progress)
        db.session.commit()
        if job.status != "done":
            raise DomainError(job.error or "La notification n'a pas abouti.")
    except activation.NotActivated as error:  # R-SRV-1: say how, from the command line too
        db.session.rollback()
        fail(DomainError(f"{error.message} En ligne de commande : flask --app app admints "
                         f"activer --uai {uai.upper()}."), as_json)
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    data = dict(job.result or {})
    data["job_id"] = job.id
    by_mode = data["by_mode"]
    lines = [f"Tâche n° {job.id} : {data['notified']} compte(s) notifié(s) sur "
             f"{data['total']} (courrier : {by_mode['courrier']}, "
             f"courriel : {by_mode['courriel']})."]
    if data.get("pdf_path"):
        lines.append(f"PDF : {data['pdf_path']} ({data['pages']} page(s)).")
    if data.get("fallback_to_paper"):
        lines.append(f"{data['fallback_to_paper']} courriel(s) non remis remplacé(s) "
                     "par un courrier.")
    if data.get("failed"):
        lines.append(f"{len(data['failed'])} compte(s) non notifié(s), inchangé(s) :")
        lines += [f"  {f['identifiant']} ({f['nom']}) : {f['reason']}" for f in data["failed"]]
    emit(data, as_json, "\n".join(lines))


@admints_cli.command("purge-expired")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date du jour (AAAA-MM-JJ).")
@click.option("--uai", help="Un seul établissement (tous sinon).")
@click.option("--json", "as_json", is_flag=True)
def purge_expired_command(today, uai, as_json):
    """Supprime les comptes expirés (R-ACC-10) ; à lancer chaque jour."""
    today = today.date() if today else clock.today()
    try:
        etab_id = _etab(uai).id if uai else None
        done = lifecycle.purge_expired(today=today, etablissement_id=etab_id)
        files = job_files.purge_old_files(now=utcnow(), etablissement_id=etab_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    lines = [f"{len(done)} compte(s) expiré(s) supprimé(s) au {today:%d/%m/%Y}."]
    lines += [f"  {d['identifiant']} ({d['reason']}) → nouveau compte non notifié {d['nouveau']}"
              for d in done]
    lines.append(f"{len(files)} fichier(s) de tâches conservé(s) plus de "
                 f"{current_app.config['JOB_FILES_MAX_DAYS']} jours supprimé(s).")
    emit({"today": today.isoformat(), "expired": len(done), "accounts": done,
          "job_files_deleted": files}, as_json, "\n".join(lines))
