"""Notification of accounts by letter (one PDF) and by email (R-ACC-3/4/5/6/9), through the
outbox (`admints.comptes.outbox`): whatever happens, what families receive and what is stored agree.

1. `claim` — one short transaction under the establishment's lock: refuse in French when a
   running notification holds some of the accounts; decide every letter's password
   (`lifecycle.prepare_notification`; an interrupted job's open row is taken over with the
   password it stored); create the Job and store one outbox row per account in bulk; commit.
   Nothing has left yet, no account has changed.
2. `deliver` — the job body, idempotent: the emails over one SMTP connection, each outcome
   recorded as soon as the server answers (accepted → the account becomes *Notifié* with the
   stored password; refused → failed, or a letter in « courriel et papier »); then the letters
   of the open paper rows in ONE PDF, written atomically, and only then recorded. A rerun
   (`job_recovery.resume`) sends only the rows still open, with their stored passwords.
3. The recap is read back from the outbox; accounts not notified keep their state.

Views, CLI and tests call `notify` (claim, then deliver in this process as a job) or `start`
(claim in the request, deliver inline or in the background).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import audit, jobs, secrets_store
from ..email_syntax import invalid_reason
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_number
from ..models import OPEN_STATUSES, EtatCompte, Job, KindCompte
from ..parametrage import fiche
from . import activation, lifecycle, mailing, outbox, outbox_marks
from .recipients import Item, etablissement, load_items, slim

PAPIER, COURRIEL, COURRIEL_ET_PAPIER = "papier", "courriel", "courriel-et-papier"
MODES = {PAPIER: "Papier seul", COURRIEL: "Courriel seul",
         COURRIEL_ET_PAPIER: "Courriel et papier"}
# The order the screens offer them in: the first is the default choice.
_OFFERED = {KindCompte.RESPONSABLE: (COURRIEL_ET_PAPIER, COURRIEL, PAPIER),
            KindCompte.ELEVE: (PAPIER,)}


def modes_for(kind: str) -> dict[str, str]:
    """Transmission modes of a kind of account, with their labels (R-ACC-4/5): pupils on paper
    only, guardians by email and/or paper."""
    return {mode: MODES[mode] for mode in _OFFERED.get(kind, ())}


def available_modes(kind: str, address: str | None) -> dict[str, str]:
    """The modes worth offering for one account whose notification would go to `address` (the
    address `notify` uses, `recipients.pick_email`): without one, paper only."""
    modes = modes_for(kind)
    if not address:
        modes = {m: label for m, label in modes.items() if m == PAPIER}
    return modes


@dataclass
class NotifyRecap:
    """The outcome of one notification job, from its outbox. `failed`, `pending` (not sent)
    and `uncertain` (interrupted while the SMTP server had it): dicts compte_id, identifiant,
    nom, eleve, division, reason."""

    kind: str
    mode: str
    job_id: int | None = None
    total: int = 0
    notified: list[int] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)
    uncertain: list[dict] = field(default_factory=list)
    by_mode: dict[str, int] = field(default_factory=lambda: {"courrier": 0, "courriel": 0})
    pages: int = 0
    emails_sent: int = 0
    fallback_to_paper: int = 0
    pdf_path: str | None = None

    @property
    def unchanged(self) -> int:
        return self.total - len(self.notified)

    @property
    def remaining(self) -> int:
        return len(self.pending) + len(self.uncertain)

    def message(self) -> str:
        text = f"{len(self.notified)} compte(s) notifié(s) sur {self.total}"
        if self.failed:
            text += f", {len(self.failed)} échec(s)"
        if self.remaining:
            text += (f" ; {len(self.pending)} non envoyé(s) et {len(self.uncertain)} envoi(s) "
                     "à l'issue inconnue. Reprenez la tâche : le reste partira avec les mots "
                     "de passe déjà enregistrés")
        return text + "."

    def as_dict(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "job_id": self.job_id,
                "total": self.total, "notified": len(self.notified),
                "unchanged": self.unchanged, "failed": self.failed, "pending": self.pending,
                "uncertain": self.uncertain, "remaining": self.remaining,
                "by_mode": self.by_mode, "pages": self.pages, "emails_sent": self.emails_sent,
                "fallback_to_paper": self.fallback_to_paper, "pdf_path": self.pdf_path,
                "message": self.message()}


def check(kind: str, mode: str) -> None:
    if kind not in (KindCompte.ELEVE, KindCompte.RESPONSABLE):
        raise DomainError(f"Type de compte inconnu : {kind}.")
    if mode not in MODES:
        raise DomainError(f"Mode de transmission inconnu : {mode}.")
    if kind == KindCompte.ELEVE and mode != PAPIER:
        raise DomainError("Les élèves sont notifiés sur papier uniquement.")


def params_for(kind: str, compte_ids: Sequence[int], *, mode: str, reset_used: bool = False,
               reset_all: bool = False, today: dt.date, out_path, texts: dict | None = None
               ) -> dict:
    return {"kind": kind, "compte_ids": [int(i) for i in compte_ids], "mode": mode,
            "reset_used": bool(reset_used), "reset_all": bool(reset_all),
            "today": today.isoformat(), "out_path": str(out_path), "texts": texts}


def notify(etablissement_id: int, kind: str, compte_ids: Sequence[int], *, mode: str = PAPIER,
           reset_used: bool = False, reset_all: bool = False, today: dt.date,
           out_path: str | Path, progress: Callable[[int, int], None] | None = None,
           by: str | None = None, texts: dict | None = None) -> NotifyRecap:
    """Notify the accounts `compte_ids` now, in this process, as one job (CLI, tests).

    kind: "eleve" (mode must be "papier", R-ACC-5) or "responsable" with mode "papier",
    "courriel" (no/invalid address → failed) or "courriel-et-papier" (email when the address is
    valid, paper otherwise; an email refused or lost falls back to the paper letter).
    reset_used: new temporary passwords for *Utilisé* accounts (R-ACC-5 option);
    reset_all: for every account (single « renotifier et réinitialiser », R-ACC-8).
    Ids of other establishments or kinds are ignored. The PDF (sorted by division, then name)
    is written to `out_path` when there is at least one letter; `progress(done, total)` counts
    emails then letters. Commits as it goes (the outbox is the record). Returns the recap;
    raises DomainError (nothing stored) when refused."""
    params = params_for(kind, compte_ids, mode=mode, reset_used=reset_used,
                        reset_all=reset_all, today=today, out_path=out_path, texts=texts)
    job, items, plain = claim(etablissement_id, params, by=by)

    def body(ctx, job_progress):
        def both(done: int, total: int) -> None:
            job_progress(done, total)
            if progress:
                progress(done, total)
        return deliver(ctx.id, etablissement_id, params, progress=both, items=items,
                       plain=plain, by=by)

    recap = jobs.run_here(job.id, body)
    db.session.expire_all()
    return recap


def start(etablissement_id: int, kind: str, compte_ids: Sequence[int], *, mode: str,
          reset_used: bool = False, reset_all: bool = False, today: dt.date, out_path,
          by: str | None = None, inline: bool | None = None,
          fn: Callable | None = None) -> Job:
    """Claim now (a refusal is a DomainError for the caller to show), then deliver inline or
    with the background runner. `fn`: the job body (default `notify_job`)."""
    params = params_for(kind, compte_ids, mode=mode, reset_used=reset_used,
                        reset_all=reset_all, today=today, out_path=out_path)
    job, _, _ = claim(etablissement_id, params, by=by)
    return jobs.launch(job.id, fn=fn or notify_job, inline=inline)


def notify_job(ctx, progress) -> NotifyRecap:
    """Job body (`jobs.start_job(..., notify_job)`, resumable): params kind, compte_ids, mode,
    reset_used, reset_all, today (ISO), out_path. Claims first when the job has no outbox yet,
    then delivers what is still open."""
    items = plain = None
    if not outbox.has_rows(ctx.id):
        _, items, plain = claim(ctx.etablissement_id, ctx.params, job_id=ctx.id,
                                by=ctx.created_by)
    return deliver(ctx.id, ctx.etablissement_id, ctx.params, progress=progress, items=items,
                   plain=plain, by=ctx.created_by)


def interrupted_recap(job_id: int, error: str | None = None) -> dict:
    """Recap hook of `jobs` / `job_recovery`: what was and was not done, from the outbox.

    After a crash (`error` None) every open row stays, to be resumed. After an error raised in
    this process (`error` given), rows still `pending` never left: they are released (failed,
    accounts unchanged, passwords erased) and only a row `sending` — handed to the SMTP server
    with no answer recorded — stays open: the job is then interrupted, else failed."""
    job = db.session.get(Job, job_id)
    params = job.params or {}
    if error is not None:
        outbox.release_pending(job_id, f"Non envoyé : {error}")
    if params.get("out_path"):
        remove_partial_pdf(params["out_path"])
    return build_recap(job_id, job.etablissement_id, params).as_dict()


def remove_partial_pdf(out_path) -> None:
    """The temporary file of a PDF whose writing was cut short holds passwords: delete it
    (`pdf.atomic_output` names it `.<name>.<random>.part`)."""
    target = Path(out_path)
    if target.parent.is_dir():
        for part in target.parent.glob(f".{target.name}.*.part"):
            part.unlink(missing_ok=True)


notify_job.job_recap = interrupted_recap  # start_job(..., notify_job) is resumable too


# ---------------------------------------------------------------- 1. claim

def claim(etablissement_id: int, params: dict, *, by: str | None = None,
          job_id: int | None = None) -> tuple[Job, dict[int, Item], dict[int, str]]:
    """Store the outbox of a notification (see module doc). Returns the job, the letter data
    and the plain passwords by account id (for delivery without decrypting)."""
    from .. import job_recovery

    kind, mode, ids = params["kind"], params["mode"], params["compte_ids"]
    check(kind, mode)
    etab = etablissement(etablissement_id)
    activation.require_activated(etab.id)  # R-SRV-1: no letter before activation
    # Issue 12: no letter (nor email signed by the establishment) with a hole in its header;
    # refused here, before the outbox or any account changes.
    fiche.require_letter_header(etab)
    today = dt.date.fromisoformat(params["today"])
    if mode != PAPIER:
        mailing.portal_url(etab.id, today)  # « ENT seul » without address: refused up front
    # Jobs holding these accounts whose runner is gone become « interrompue » first (outside
    # the lock: recovery commits), so that their rows can be taken over below.
    for blocking in {c.job_id for c in outbox.open_claims(etablissement_id, ids)
                     if c.job_status in ("pending", "running") and c.job_id != job_id}:
        job_recovery.recover(job_id=blocking)
    db.session.commit()
    try:
        outbox.lock(etablissement_id, job_id)
        claims = [c for c in outbox.open_claims(etablissement_id, ids) if c.job_id != job_id]
        outbox.refuse_if_running(claims, single=len(ids) == 1)
        job = db.session.get(Job, job_id) if job_id else jobs.new_job(
            f"notification_{kind}", etablissement_id, params, notify_job, by, total=len(ids),
            recap=interrupted_recap)
        items = load_items(etablissement_id, kind, ids)
        plain_by_compte: dict[int, str] = {}
        outbox.supersede(claims, job.id)  # rows made and inserted per chunk below (issue 14)
        outbox.store(_rows(job.id, etablissement_id, items, params,
                           {c.compte_id: c for c in claims}, plain_by_compte))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return job, {it.compte.id: it for it in items}, plain_by_compte


def _rows(job_id: int, etablissement_id: int, items: list[Item], params: dict,
          taken: dict, plain: dict[int, str]) -> Iterator[dict]:
    """The outbox row of each item, in order; the plain passwords go into `plain`."""
    mode = params["mode"]
    for position, it in enumerate(items):
        compte = it.compte
        row = {"job_id": job_id, "etablissement_id": etablissement_id, "compte_id": compte.id,
               "position": position, "channel": lifecycle.COURRIER, "email": None,
               "password_encrypted": None, "new_password": False, "continuite": False,
               "etat_before": compte.etat, "status": "pending", "fallback": False,
               "reason": None, "delivered_at": None}
        # yielded once complete: `store` may insert it at once
        reset = params.get("reset_all") or (params.get("reset_used")
                                            and compte.etat == EtatCompte.UTILISE)
        try:
            prepared = lifecycle.prepare_notification(compte, reset=reset)
        except DomainError as exc:
            row.update(status="failed", reason=exc.message)
            yield row
            continue
        if mode == COURRIEL and not it.email:
            row.update(status="failed", channel=lifecycle.COURRIEL,
                       reason=invalid_reason(it.raw_email) or "Aucune adresse utilisable.")
            yield row
            continue
        if mode != PAPIER and it.email:
            row.update(channel=lifecycle.COURRIEL, email=it.email)
        old = taken.get(compte.id)
        if old is not None and old.password_encrypted and prepared.password is not None \
                and old.etat_before == compte.etat:
            # An interrupted job may already have sent this one: the same password again.
            password, new, encrypted = (secrets_store.decrypt_secret(old.password_encrypted),
                                        old.new_password, old.password_encrypted)
        else:
            password, new = prepared.password, prepared.new_password
            encrypted = (secrets_store.encrypt_secret(password) if new
                         else compte.mot_de_passe_provisoire_chiffre if password else None)
        row.update(password_encrypted=encrypted, new_password=new,
                   continuite=prepared.continuite)
        if password:
            plain[compte.id] = password
        slim(it)
        yield row


# ---------------------------------------------------------------- 2. deliver

_DELIVERY_COLUMNS = ("id", "compte_id", "position", "channel", "email", "password_encrypted",
                     "new_password", "continuite", "etat_before")  # what delivery reads


def deliver(job_id: int, etablissement_id: int, params: dict, *,
            progress: Callable[[int, int], None] | None = None,
            items: dict[int, Item] | None = None, plain: dict[int, str] | None = None,
            by: str | None = None) -> NotifyRecap:
    """Send what is still open in the job's outbox (module doc, step 2); returns the recap."""
    from .delivery import send_emails, write_pdf

    kind, mode = params["kind"], params["mode"]
    today = dt.date.fromisoformat(params["today"])
    etab = etablissement(etablissement_id)
    rows = outbox.job_rows(job_id, OPEN_STATUSES, columns=_DELIVERY_COLUMNS)
    if items is None:
        items = {it.compte.id: slim(it) for it in load_items(
            etablissement_id, kind, [r.compte_id for r in rows if r.compte_id])}
    plain = plain or {}

    def passwords(r) -> str | None:  # one at a time, as each letter or email is made
        return (plain.get(r.compte_id) or secrets_store.decrypt_secret(r.password_encrypted)
                ) if r.password_encrypted else None

    marker = outbox_marks.Marker(today)
    pages, pdf_path = 0, None
    try:
        gone = [r for r in rows if r.compte_id not in items]
        marker.letters(gone, ok=False, reason="Compte supprimé ou déplacé entre-temps.")
        rows = [r for r in rows if r.compte_id in items]
        emails = [r for r in rows if r.channel == lifecycle.COURRIEL]
        paper = [r for r in rows if r.channel == lifecycle.COURRIER]
        counter = {"done": 0, "total": len(emails) + len(paper)}

        def tick(n: int = 1) -> None:
            counter["done"] += n
            if progress:
                progress(counter["done"], counter["total"])

        if emails:
            fallback = send_emails(etab, emails, items, passwords, marker, mode=mode,
                                   today=today, tick=tick)
            paper = sorted(paper + fallback, key=lambda r: r.position)
            counter["total"] = len(emails) + len(paper)  # refused emails became letters
        if paper:
            pages, pdf_path = write_pdf(etab, paper, items, passwords, marker,
                                        out_path=params["out_path"], today=today,
                                        texts=params.get("texts"), tick=tick)
    finally:
        marker.close()
    rows = emails = paper = None  # the recap reads the outbox again, chunk by chunk
    recap = build_recap(job_id, etablissement_id, params, items)
    recap.pages, recap.pdf_path = pages, pdf_path
    if pdf_path is None and recap.by_mode["courrier"] and Path(params["out_path"]).is_file():
        recap.pdf_path = params["out_path"]  # written by an earlier attempt of this job
    audit.record(f"{kind}.notifier", etablissement_id=etablissement_id, login=by,
                 target=f"{format_number(len(recap.notified))} compte(s) notifié(s), "
                        f"{len(recap.failed)} échec(s)",
                 rows=recap.notified,
                 after={"mode": mode, "tache": job_id, "reset_used": params.get("reset_used"),
                        "reset_all": params.get("reset_all"), "pages": recap.pages,
                        "echecs": [f["compte_id"] for f in recap.failed]})
    db.session.commit()
    return recap


# ---------------------------------------------------------------- 3. recap

def build_recap(job_id: int, etablissement_id: int, params: dict,
                items: dict[int, Item] | None = None) -> NotifyRecap:
    recap = NotifyRecap(kind=params.get("kind", ""), mode=params.get("mode", ""), job_id=job_id)
    missing = [r.compte_id for r in outbox.iter_rows(job_id, "status", "compte_id")
               if r.status != "sent" and r.compte_id
               and (items is None or r.compte_id not in items)]
    items = dict(items or {})
    if missing:
        items.update({it.compte.id: it for it in load_items(
            etablissement_id, recap.kind, missing)})
    for r in outbox.iter_rows(job_id, "status", "compte_id", "channel", "fallback", "reason"):
        recap.total += 1
        if r.status == "sent":
            recap.notified.append(r.compte_id)
            recap.by_mode[r.channel] += 1
            recap.fallback_to_paper += bool(r.fallback)
            continue
        it = items.get(r.compte_id)
        entry = {"compte_id": r.compte_id,
                 "identifiant": it.compte.identifiant if it else None,
                 "nom": f"{it.nom} {it.prenom}" if it else "",
                 "eleve": f"{it.eleve_nom} {it.eleve_prenom}" if it else "",
                 "division": it.division if it else "", "reason": r.reason or "Non notifié."}
        if r.status == "pending":
            entry["reason"] = "Non envoyé : la tâche a été interrompue avant."
            recap.pending.append(entry)
        elif r.status == "sending":
            entry["reason"] = ("Envoi interrompu pendant sa transmission, issue inconnue : il "
                               "sera renvoyé avec le même mot de passe.")
            recap.uncertain.append(entry)
        else:  # failed, superseded
            recap.failed.append(entry)
    recap.emails_sent = recap.by_mode["courriel"]
    return recap
