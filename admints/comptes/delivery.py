"""Delivery of a notification's open outbox rows (R-ACC-3/4): the emails, then the PDF.

Called by `notification.deliver`. Each email's outcome is recorded (`outbox.Marker.email`)
before the next message leaves, in one transaction that also flags the next row `sending`: after
a crash at most one row's issue is unknown, and it is resent with the same stored password. The
letters are written into ONE PDF atomically (`letters.write_letters`) and recorded only once the
file is complete: a PDF is offered only by a job marked done, after that record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..courriers import letters
from ..errors import DomainError
from . import mailing
from .outbox_marks import Marker
from .recipients import Item

COURRIEL_ET_PAPIER = "courriel-et-papier"


def send_emails(etab, rows: list, items: dict[int, Item], passwords: Callable[[object], str | None],
                marker: Marker, *, mode: str, today: dt.date,
                tick: Callable[[int], None]) -> list:
    """Send the email rows over one SMTP connection; returns the rows that fell back to paper
    (« courriel et papier »: refused or lost emails become letters with the same password)."""
    url = mailing.portal_url(etab.id, today)
    messages = []
    for r in rows:
        it = items[r.compte_id]
        messages.append(mailing.notification_message(
            etab, r.email, identifiant=it.compte.identifiant,
            password=None if r.continuite else passwords(r),
            civilite=it.civilite or "", nom=it.nom, prenom=it.prenom,
            eleve=it.enfants_label, url=url))
    fallback: list = []

    def on_result(res: mailing.SendResult) -> None:
        row = rows[res.key]
        next_id = rows[res.key + 1].id if res.key + 1 < len(rows) else None
        if res.ok:
            marker.email(row, ok=True, next_id=next_id)
        elif mode == COURRIEL_ET_PAPIER:
            marker.email(row, ok=False, reason=res.error, fallback=True, next_id=next_id)
            fallback.append(row)
        else:
            marker.email(row, ok=False, reason=res.error, next_id=next_id)

    marker.sending(rows[0].id)
    mailing.send_batch(messages, keys=list(range(len(rows))), progress=lambda n: tick(),
                       on_result=on_result)
    return fallback


def write_pdf(etab, rows: list, items: dict[int, Item], passwords: Callable[[object], str | None],
              marker: Marker, *, out_path, today: dt.date, texts: dict | None,
              tick: Callable[[int], None]) -> tuple[int, str | None]:
    """One PDF of the letters of `rows` (in their order), then their record; returns
    (pages, path), or (0, None) when the PDF could not be written (rows failed, reason given,
    accounts unchanged)."""
    def batch():  # one Letter at a time: the PDF is written page by page (issue 14)
        for r in rows:
            it = items[r.compte_id]
            yield letters.Letter(
                kind=it.compte.kind, continuite=r.continuite, civilite=it.civilite, nom=it.nom,
                prenom=it.prenom, adresse=it.adresse, eleve_nom=it.eleve_nom,
                eleve_prenom=it.eleve_prenom, division=it.division,
                autres_enfants=it.autres_enfants,
                identifiant=it.compte.identifiant,
                mot_de_passe=None if r.continuite else passwords(r))

    written = [0]

    def on_page(count: int) -> None:
        # write_letters reports the count of letters written so far.
        step = max(count - written[0], 0)
        written[0] += step
        if step:
            tick(step)

    try:
        pages = letters.write_letters(etab, batch(), Path(out_path), today=today, texts=texts,
                                      progress=on_page)
    except Exception as exc:  # whatever broke the PDF, no letter went out
        reason = (exc.message if isinstance(exc, DomainError) else
                  f"Échec de l'écriture du PDF ({type(exc).__name__}) : aucun courrier produit.")
        marker.letters(rows, ok=False, reason=reason)
        return 0, None
    try:
        marker.letters(rows, ok=True)
    except BaseException:
        # Not recorded: the PDF must not outlive it (its passwords are not the accounts').
        Path(out_path).unlink(missing_ok=True)
        raise
    return pages, str(out_path)
