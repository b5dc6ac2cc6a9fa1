"""Writing free emails to accounts (R-ACC-7, R-ACC-8): the message limits, checked once, the
email to one account of « Gérer le compte », and « Écrire à plusieurs responsables » as a job.

`check_message` is the one reading of the subject/body rules; the mass action
(`start_writing` → `write_to_responsables`), `write_to_account` and the templates' `maxlength`
use it. Functions flush, never commit, and audit; `start_writing` is an edge operation (it
commits the job row, like `jobs.start_job`).

A free email has no outbox: a write job interrupted mid-batch cannot be resumed. Its body
checkpoints what it recorded (accounts served, refused, without address) on the job row, and
`write_recap` says honestly what was recorded and for whom the outcome is unknown. The text is
kept in the job's params only while the job may run: removed once it has ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.orm import joinedload, selectinload

from .. import audit, jobs
from ..database import chunks
from ..email_syntax import invalid_reason
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Job, KindCompte, ResponsableEleve
from . import mailing, portal
from .recipients import etablissement, load_comptes, responsable_email

SUBJECT_MAX = 200
BODY_MAX = 20_000
JOB_KIND = "ecriture_responsables"  # permissions.JOB_AREAS gives it the guardians' menu
CHECKPOINT_EVERY = 25  # emails between two records of what a write job has done


def check_message(subject: str | None, body: str | None) -> tuple[str, str]:
    """Stripped (subject, body), or DomainError with the first broken rule in French."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise DomainError("L'objet du message est obligatoire.")
    if not body:
        raise DomainError("Le texte du message est obligatoire.")
    if "\n" in subject or "\r" in subject or len(subject) > SUBJECT_MAX:
        raise DomainError(f"L'objet doit tenir sur une ligne de {SUBJECT_MAX} caractères "
                          "au plus.")
    if len(body) > BODY_MAX:
        raise DomainError("Le texte ne doit pas dépasser 20 000 caractères.")
    return subject, body


def write_to_account(etablissement_id: int, kind: str, compte_id: int, *, subject: str | None,
                     body: str | None, today: dt.date, by: str | None = None) -> dict:
    """« Écrire » of « Gérer le compte » (guide §4.2/§5.2). A guardian account is written to
    like one row of the mass action (R-ACC-7: its address, audited `responsable.ecrire`, a
    refusal by the server in the recap); a pupil at the address of its account, when valid —
    a refusal is a DomainError, a success audited `eleve.ecrire`. Another establishment's or
    kind's account: DomainError « Compte introuvable. ». Returns the recap of
    `write_to_responsables`: {"sent", "failed", "without_address"}."""
    subject, body = check_message(subject, body)
    compte = db.session.scalar(db.select(Compte).where(
        Compte.id == compte_id, Compte.etablissement_id == etablissement_id,
        Compte.kind == kind))
    if compte is None:
        raise DomainError("Compte introuvable.")
    if kind == KindCompte.RESPONSABLE:
        return write_to_responsables(etablissement_id, [compte.id], subject=subject,
                                     body=body, today=today, by=by)
    reason = invalid_reason(compte.email)
    if reason:
        raise DomainError(reason)
    message = mailing.free_message(etablissement(etablissement_id), compte.email,
                                   subject=subject, text=body)
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel n'a pas été envoyé : {result.error}")
    audit.record("eleve.ecrire", etablissement_id=etablissement_id, login=by, target=subject,
                 rows=[compte.id])
    return {"sent": 1, "failed": [], "without_address": []}


def write_to_responsables(etablissement_id: int, compte_ids: Sequence[int], *, subject: str,
                          body: str, today: dt.date, by: str | None = None,
                          progress: Callable[[int, int], None] | None = None,
                          checkpoint: Callable[[dict], None] | None = None) -> dict:
    """R-ACC-7: one subject and text, a separate email to each selected responsable account
    that has an address. Returns {"sent": n, "failed": [{compte_id, identifiant, email,
    reason}], "without_address": [{compte_id, identifiant}]}. `progress(done, total)` counts
    accounts (those without address first); `checkpoint(partial)` receives what is done so far
    (see `_partial`) before the first email and every CHECKPOINT_EVERY emails."""
    subject, body = check_message(subject, body)
    etab = etablissement(etablissement_id)
    targets, without = _targets(etablissement_id, compte_ids)
    messages = [mailing.free_message(etab, email, subject=subject, text=body)
                for _, email in targets]
    total = len(without) + len(messages)
    sent: list[int] = []
    failed: list[dict] = []

    def on_result(r) -> None:
        if r.ok:
            sent.append(targets[r.key][0].id)
        else:
            failed.append({"compte_id": targets[r.key][0].id,
                           "identifiant": targets[r.key][0].identifiant,
                           "email": targets[r.key][1], "reason": r.error})
        if checkpoint and (len(sent) + len(failed)) % CHECKPOINT_EVERY == 0:
            checkpoint(_partial(targets, sent, failed, without))

    if progress:
        progress(len(without), total)
    if checkpoint:
        checkpoint(_partial(targets, sent, failed, without))
    mailing.send_batch(
        messages, on_result=on_result,
        progress=(lambda n: progress(len(without) + n, total)) if progress else None)
    audit.record("responsable.ecrire", etablissement_id=etablissement_id, login=by,
                 target=subject, rows=sent,
                 after={"envoyes": len(sent), "echecs": len(failed), "sans_adresse": len(without)})
    return {"sent": len(sent), "failed": failed, "without_address": without}


def _targets(etablissement_id: int, compte_ids: Sequence[int]) -> tuple[list, list[dict]]:
    """([(compte, email)], [{compte_id, identifiant}] without address) of the establishment's
    guardian accounts among `compte_ids`, each once."""
    targets, without = [], []
    seen: set[int] = set()
    for chunk in chunks(compte_ids):
        liens = db.session.scalars(
            db.select(ResponsableEleve).options(selectinload(ResponsableEleve.responsable),
                                                joinedload(ResponsableEleve.compte))
            .where(ResponsableEleve.etablissement_id == etablissement_id,
                   ResponsableEleve.compte_id.in_(chunk)).order_by(ResponsableEleve.id))
        for lien in liens:
            if lien.compte_id in seen:
                continue
            seen.add(lien.compte_id)
            email = responsable_email(lien.compte, lien.responsable)
            if email:
                targets.append((lien.compte, email))
            else:
                without.append({"compte_id": lien.compte_id,
                                "identifiant": lien.compte.identifiant})
    return targets, without


def _partial(targets, sent: list[int], failed: list[dict], without: list[dict]) -> dict:
    """What a write job records while it runs: ids only, never the text."""
    return {"targets": [compte.id for compte, _ in targets], "sent_ids": list(sent),
            "failed": list(failed), "without_address": list(without)}


# ---------------------------------------------------------------- as a job

def start_writing(etablissement_id: int, compte_ids: Sequence[int], *, subject: str | None,
                  body: str | None, today: dt.date, by: str | None,
                  inline: bool | None = None) -> Job:
    """« Écrire à plusieurs responsables » (R-ACC-7) as one job: the message is checked first
    (DomainError in French, no job row); then a selection of at most JOB_THRESHOLD accounts
    (`inline=None`) is written to before this returns, a bigger one in the background with
    its progress bar (issue 10). The job's result is the recap of `write_to_responsables`."""
    subject, body = check_message(subject, body)
    ids = sorted({int(i) for i in compte_ids})
    if inline is None:
        inline = jobs.runs_inline(len(ids))
    params = {"compte_ids": ids, "subject": subject, "body": body, "today": today.isoformat()}
    return jobs.start_job(JOB_KIND, etablissement_id, params, write_job, by, total=len(ids),
                          inline=inline)


def write_job(ctx, progress) -> dict:
    """Job body of `start_writing`: params compte_ids, subject, body, today (ISO). Not
    resumable (`write_recap`); the text leaves the params with the final commit."""
    p = ctx.params
    recap = write_to_responsables(ctx.etablissement_id, p["compte_ids"], subject=p["subject"],
                                  body=p["body"], today=dt.date.fromisoformat(p["today"]),
                                  by=ctx.created_by, progress=progress,
                                  checkpoint=ctx.checkpoint)
    job = db.session.get(Job, ctx.id)
    job.params = _without_text(job.params)
    return recap


def _without_text(params: dict | None) -> dict:
    return {k: v for k, v in (params or {}).items() if k not in ("subject", "body")}


def write_recap(job_id: int, error: str | None = None) -> dict:
    """Recap hook of a write job that did not end (runner gone, or `error` in this process):
    what its last checkpoint recorded — emails sent, refused, accounts without address — and
    the accounts whose email may or may not have left. Nothing is resent (no outbox: the job
    cannot be resumed). Removes the text from the params (committed)."""
    job = db.session.get(Job, job_id)
    partial = job.result if (job.result or {}).get("targets") is not None else {}
    sent_ids = list(partial.get("sent_ids") or [])
    failed = list(partial.get("failed") or [])
    treated = set(sent_ids) | {f["compte_id"] for f in failed}
    unknown = [cid for cid in partial.get("targets") or [] if cid not in treated]
    names = _identifiants(job.etablissement_id, sent_ids + unknown)
    if partial:
        message = (f"{len(sent_ids)} courriel(s) enregistré(s) comme envoyé(s), "
                   f"{len(failed)} refusé(s) ; pour {len(unknown)} compte(s), on ne sait pas "
                   "si le courriel est parti (les envois sont enregistrés par lots de "
                   f"{CHECKPOINT_EVERY}).")
    else:
        message = (f"Aucun envoi n'a été enregistré, mais des courriels ont pu partir "
                   f"({job.done} / {job.total} compte(s) traité(s) d'après la progression).")
    message += (" Cette tâche ne peut pas être reprise : les courriels libres n'ont pas de "
                "file d'envoi. Écrire de nouveau à toute la sélection écrirait deux fois à "
                "ceux déjà servis.")
    db.session.execute(db.update(Job).where(Job.id == job_id).values(
        params=_without_text(job.params)))
    db.session.commit()
    return {
        "sent": len(sent_ids), "failed": failed,
        "without_address": list(partial.get("without_address") or []),
        "sent_recorded": [{"compte_id": c, "identifiant": names.get(c)} for c in sent_ids],
        "uncertain": [{"compte_id": c, "identifiant": names.get(c),
                       "reason": "Courriel peut-être parti : non enregistré avant l'arrêt."}
                      for c in unknown],
        "recorded": bool(partial), "resumable": False, "message": message}


write_recap.resumable = False  # a report only: `job_recovery.resume` refuses write jobs
write_job.job_recap = write_recap


def _identifiants(etablissement_id: int | None, compte_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in chunks(compte_ids):
        out.update((cid, ident) for cid, ident in db.session.execute(
            db.select(Compte.id, Compte.identifiant).where(
                Compte.etablissement_id == etablissement_id, Compte.id.in_(chunk))))
    return out


def resend_activation(etablissement_id: int, compte_id: int, email: str, *, today: dt.date,
                      link_base: str | None = None) -> None:
    """R-ACC-8: correct the address of an *En cours d'activation* responsable account and resend
    the activation email. Raises DomainError (caller rolls back) if the server refuses it."""
    comptes = load_comptes(etablissement_id, [compte_id], KindCompte.RESPONSABLE)
    if not comptes:
        raise DomainError("Compte introuvable.")
    compte = comptes[0]
    portal.set_account_email(compte, email, today=today)
    link = link_base + portal.activation_token(compte) if link_base else \
        portal.activation_link(compte)
    message = mailing.activation_message(etablissement(etablissement_id), compte.email,
                                         identifiant=compte.identifiant, link=link)
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel d'activation n'a pas été envoyé : {result.error}")
