"""Bulk operations on accounts, shared by the views, the jobs and the CLI (R-ACC-3..7).

Every function takes the establishment id and scopes every id it is given to it (R-SEC-1),
adds/flushes but never commits (the view, job or command owns the transaction), and audits.

`notify` keeps « nothing lost » (issue 3 point 4): passwords are decided first without changing
anything (`accounts.prepare_notification`), emails go out over one SMTP connection, the paper
letters are written to ONE PDF (atomically, by `letters.write_letters`), and only then are the
accounts whose letter is in the PDF or whose email was accepted moved on
(`accounts.apply_notification`). Everything else is listed in the recap with a French reason
and keeps its state, so a rerun filtered on the state completes it. The caller commits after
`notify` returns, i.e. after the PDF is on disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import joinedload, selectinload

from . import accounts, audit, mailing
from .account_rows import (  # noqa: F401 - pick_email/responsable_email re-exported for views
    Item,
    chunks,
    etablissement,
    load_items,
    pick_email,
    responsable_email,
)
from .csvexport import (  # noqa: F401 - re-exported: the views import them from here
    class_list_csv,
    class_list_rows,
    csv_text,
    export_csv,
    groupes_with_pupils,
    neutralise,
)
from .emails import invalid_reason
from .errors import DomainError
from .extensions import db
from .models import (
    Compte,
    Eleve,
    KindCompte,
    ResponsableEleve,
)

PAPIER, COURRIEL, COURRIEL_ET_PAPIER = "papier", "courriel", "courriel-et-papier"
MODES = {PAPIER: "Papier seul", COURRIEL: "Courriel seul",
         COURRIEL_ET_PAPIER: "Courriel et papier"}


@dataclass
class NotifyRecap:
    """The outcome of one notification. `failed`: dicts compte_id, identifiant, nom, reason."""

    kind: str
    mode: str
    total: int = 0
    notified: list[int] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    by_mode: dict[str, int] = field(default_factory=lambda: {"courrier": 0, "courriel": 0})
    pages: int = 0
    emails_sent: int = 0
    fallback_to_paper: int = 0
    pdf_path: str | None = None

    @property
    def unchanged(self) -> int:
        return self.total - len(self.notified)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "total": self.total,
                "notified": len(self.notified), "unchanged": self.unchanged,
                "failed": self.failed, "by_mode": self.by_mode, "pages": self.pages,
                "emails_sent": self.emails_sent, "fallback_to_paper": self.fallback_to_paper,
                "pdf_path": self.pdf_path}


def notify(etablissement_id: int, kind: str, compte_ids: Sequence[int], *, mode: str = PAPIER,
           reset_used: bool = False, reset_all: bool = False, today: dt.date,
           out_path: str | Path, progress: Callable[[int, int], None] | None = None,
           by: str | None = None, texts: dict | None = None) -> NotifyRecap:
    """Notify the accounts `compte_ids` (ids of other establishments or kinds are ignored).

    kind: "eleve" (mode must be "papier", R-ACC-5) or "responsable" with mode "papier",
    "courriel" (no/invalid address → failed) or "courriel-et-papier" (email when the address is
    valid, paper otherwise; an email refused or lost falls back to the paper letter).
    reset_used: new temporary passwords for *Utilisé* accounts (R-ACC-5 option);
    reset_all: for every account (single « renotifier et réinitialiser », R-ACC-8).
    The PDF (sorted by division, then name) is written to `out_path` when there is at least one
    letter; `progress(done, total)` counts emails then letters. Returns a `NotifyRecap`.
    """
    if kind not in (KindCompte.ELEVE, KindCompte.RESPONSABLE):
        raise DomainError(f"Type de compte inconnu : {kind}.")
    if mode not in MODES:
        raise DomainError(f"Mode de transmission inconnu : {mode}.")
    if kind == KindCompte.ELEVE and mode != PAPIER:
        raise DomainError("Les élèves sont notifiés sur papier uniquement.")
    etab = etablissement(etablissement_id)
    recap = NotifyRecap(kind=kind, mode=mode)
    items = load_items(etablissement_id, kind, compte_ids)
    recap.total = len(items)
    ready: list[Item] = []
    for it in items:
        try:
            reset = reset_all or (reset_used and it.compte.etat == "utilise")
            it.prepared = accounts.prepare_notification(it.compte, reset=reset)
            ready.append(it)
        except DomainError as exc:
            it.reason = exc.message
    emails = [it for it in ready if mode != PAPIER and it.email]
    if mode == COURRIEL:
        for it in ready:
            if not it.email:
                it.reason = invalid_reason(it.raw_email) or "Aucune adresse utilisable."
    total_work = len(emails) + (0 if mode == COURRIEL else len(ready) - len(emails))
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total_work)

    if emails:
        _send_notifications(etab, emails, today, tick)
    paper = [it for it in ready if mode == PAPIER or (mode == COURRIEL_ET_PAPIER
                                                       and it.delivered is None)]
    recap.fallback_to_paper = sum(1 for it in paper if it.reason)
    total_work = len(emails) + len(paper)  # refused emails became letters
    for it in paper:
        it.reason = None
    if paper:
        _write_pdf(etab, paper, out_path, today, texts, tick, recap)
    updates = []
    for it in items:
        if it.delivered:
            updates.append(accounts.notification_values(it.compte, it.prepared,
                                                        mode=it.delivered, today=today))
            recap.notified.append(it.compte.id)
            recap.by_mode[it.delivered] += 1
        else:
            recap.failed.append({"compte_id": it.compte.id, "identifiant": it.compte.identifiant,
                                 "nom": f"{it.nom} {it.prenom}", "eleve":
                                 f"{it.eleve_nom} {it.eleve_prenom}", "division": it.division,
                                 "reason": it.reason or "Non notifié."})
    recap.emails_sent = recap.by_mode["courriel"]
    _bulk_update(updates)
    audit.record(f"{kind}.notifier", etablissement_id=etablissement_id, login=by,
                 target=f"{len(recap.notified)} compte(s) notifié(s), {len(recap.failed)} échec(s)",
                 rows=recap.notified,
                 after={"mode": mode, "reset_used": reset_used, "reset_all": reset_all,
                        "pages": recap.pages, "echecs": [f["compte_id"] for f in recap.failed]})
    return recap


def _bulk_update(updates: list[dict]) -> None:
    """ORM bulk UPDATE by primary key (one executemany per set of columns), then expire the
    accounts this session already holds so that nobody reads stale values before commit."""
    if not updates:
        return
    db.session.flush()
    # SQLAlchemy batches consecutive rows with the same columns into one executemany: sorted
    # by their set of columns (a new password or not, a state or not), the accounts take three
    # statements instead of one per change of set (2,500 for the guardians of 2,000 pupils).
    updates = sorted(updates, key=lambda u: (sorted(u), u["id"]))
    db.session.execute(db.update(Compte), updates)
    changed = {u["id"] for u in updates}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Compte) and obj.id in changed:
            db.session.expire(obj)


def _send_notifications(etab, items: list[Item], today, tick) -> None:
    url = mailing.portal_url(etab.id, today)
    messages = [mailing.notification_message(
        etab, it.email, identifiant=it.compte.identifiant, password=it.prepared.password,
        civilite=it.civilite or "", nom=it.nom, prenom=it.prenom,
        eleve=f"{it.eleve_prenom} {it.eleve_nom}", url=url) for it in items]
    results = mailing.send_batch(messages, keys=list(range(len(items))),
                                 progress=lambda n: tick())
    for res in results:
        it = items[res.key]
        if res.ok:
            it.delivered = accounts.COURRIEL
        else:
            it.reason = res.error


def _write_pdf(etab, items: list[Item], out_path, today, texts, tick, recap) -> None:
    from . import letters  # helper « letters » owns the PDF layout

    batch = [letters.Letter(
        kind=it.compte.kind, continuite=it.prepared.continuite, civilite=it.civilite,
        nom=it.nom, prenom=it.prenom, adresse=it.adresse, eleve_nom=it.eleve_nom,
        eleve_prenom=it.eleve_prenom, division=it.division, identifiant=it.compte.identifiant,
        mot_de_passe=it.prepared.password) for it in items]
    written = [0]

    def on_page(count: int) -> None:
        # write_letters reports the count of letters written so far.
        step = max(count - written[0], 0)
        written[0] += step
        if step:
            tick(step)

    try:
        pages = letters.write_letters(etab, batch, Path(out_path), today=today, texts=texts,
                                      progress=on_page)
    except Exception as exc:  # noqa: BLE001 - whatever broke the PDF, no letter went out
        reason = (exc.message if isinstance(exc, DomainError) else
                  f"Échec de l'écriture du PDF ({type(exc).__name__}) : aucun courrier produit.")
        for it in items:
            it.reason = reason
        return
    recap.pages = pages
    recap.pdf_path = str(out_path)
    for it in items:
        it.delivered = accounts.COURRIER


def notify_job(ctx, progress) -> NotifyRecap:
    """Job body (`jobs.start_job(..., notify_job)`): params kind, compte_ids, mode, reset_used,
    reset_all, today (ISO), out_path."""
    p = ctx.params
    return notify(ctx.etablissement_id, p["kind"], p["compte_ids"], mode=p.get("mode", PAPIER),
                  reset_used=p.get("reset_used", False), reset_all=p.get("reset_all", False),
                  today=dt.date.fromisoformat(p["today"]), out_path=p["out_path"],
                  progress=progress, by=ctx.created_by)


# ---------------------------------------------------------------- other bulk actions

def _comptes(etablissement_id: int, compte_ids: Sequence[int],
             kind: str | None = None) -> list[Compte]:
    out: list[Compte] = []
    for chunk in chunks(compte_ids):
        query = db.select(Compte).where(Compte.etablissement_id == etablissement_id,
                                        Compte.id.in_(chunk))
        if kind:
            query = query.where(Compte.kind == kind)
        out.extend(db.session.scalars(query.order_by(Compte.id)))
    return out


def reset_passwords(etablissement_id: int, kind: str | None, compte_ids: Sequence[int], *,
                    today: dt.date, by: str | None = None) -> int:
    """« Réinitialiser les mots de passe »: new temporary passwords, accounts back to
    *Non notifié* (to be notified); closed accounts are skipped. Returns the count. One audit
    entry for the batch."""
    done = []
    for compte in _comptes(etablissement_id, compte_ids, kind):
        if compte.ferme_le is None:
            accounts.reset_password(compte, today=today, audit_it=False)
            done.append(compte.id)
    db.session.flush()
    audit.record(f"{kind or 'compte'}.reinitialiser", etablissement_id=etablissement_id,
                 login=by, target=f"{len(done)} compte(s)", rows=done)
    return len(done)


def write_to_responsables(etablissement_id: int, compte_ids: Sequence[int], *, subject: str,
                          body: str, today: dt.date, by: str | None = None,
                          progress: Callable[[int, int], None] | None = None) -> dict:
    """R-ACC-7: one subject and text, a separate email to each selected responsable account
    that has an address. Returns {"sent": n, "failed": [{compte_id, identifiant, email,
    reason}], "without_address": [{compte_id, identifiant}]}."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise DomainError("L'objet et le texte du message sont obligatoires.")
    if "\n" in subject or "\r" in subject or len(subject) > 200:
        raise DomainError("L'objet doit tenir sur une ligne de 200 caractères au plus.")
    if len(body) > 20000:
        raise DomainError("Le texte ne doit pas dépasser 20 000 caractères.")
    etab = etablissement(etablissement_id)
    targets, without = [], []
    for chunk in chunks(compte_ids):
        liens = db.session.scalars(
            db.select(ResponsableEleve).options(selectinload(ResponsableEleve.responsable),
                                                joinedload(ResponsableEleve.compte))
            .where(ResponsableEleve.etablissement_id == etablissement_id,
                   ResponsableEleve.compte_id.in_(chunk)).order_by(ResponsableEleve.id))
        seen = {t[0].id for t in targets} | {w["compte_id"] for w in without}
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
    messages = [mailing.free_message(etab, email, subject=subject, text=body)
                for _, email in targets]
    results = mailing.send_batch(
        messages, progress=(lambda n: progress(n, len(messages))) if progress else None)
    failed = [{"compte_id": targets[r.key][0].id, "identifiant": targets[r.key][0].identifiant,
               "email": targets[r.key][1], "reason": r.error} for r in results if not r.ok]
    sent = [targets[r.key][0].id for r in results if r.ok]
    audit.record("responsable.ecrire", etablissement_id=etablissement_id, login=by,
                 target=subject, rows=sent,
                 after={"envoyes": len(sent), "echecs": len(failed), "sans_adresse": len(without)})
    return {"sent": len(sent), "failed": failed, "without_address": without}


def write_job(ctx, progress) -> dict:
    """Job body for a large « Écrire à plusieurs responsables »: params compte_ids, subject,
    body, today (ISO)."""
    p = ctx.params
    return write_to_responsables(ctx.etablissement_id, p["compte_ids"], subject=p["subject"],
                                 body=p["body"], today=dt.date.fromisoformat(p["today"]),
                                 by=ctx.created_by, progress=progress)


def resend_activation(etablissement_id: int, compte_id: int, email: str, *, today: dt.date,
                      link_base: str | None = None) -> None:
    """R-ACC-8: correct the address of an *En cours d'activation* responsable account and resend
    the activation email. Raises DomainError (caller rolls back) if the server refuses it."""
    comptes = _comptes(etablissement_id, [compte_id], KindCompte.RESPONSABLE)
    if not comptes:
        raise DomainError("Compte introuvable.")
    compte = comptes[0]
    accounts.set_account_email(compte, email, today=today)
    from flask import current_app

    base = link_base or current_app.config["PORTAL_URL"].rstrip("/") + "/activation/"
    message = mailing.activation_message(etablissement(etablissement_id), compte.email,
                                         identifiant=compte.identifiant,
                                         link=base + accounts.activation_token(compte))
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel d'activation n'a pas été envoyé : {result.error}")


def matching_ids(query) -> list[int]:
    """The account ids of a list query (Compte, Eleve or ResponsableEleve rows, a legacy
    `Query` or a 2.0 `Select`) — for « Sélectionner les M comptes correspondant aux filtres »."""
    stmt = getattr(query, "statement", query)
    entity = stmt.column_descriptions[0].get("entity") if stmt.column_descriptions else None
    column = {Compte: Compte.id, Eleve: Eleve.compte_id,
              ResponsableEleve: ResponsableEleve.compte_id}.get(entity)
    if column is None:
        raise DomainError("Requête de sélection non prise en charge.")
    # The whole filtered set, not the page: pagination and ordering are dropped.
    ids = db.session.scalars(stmt.with_only_columns(column).order_by(None).limit(None)
                             .offset(None))
    return list(dict.fromkeys(i for i in ids if i is not None))
