"""The writing operations called directly, not through a view (R-ACC-7, R-ACC-8)."""

import datetime as dt

import pytest

from admints.comptes import writing
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry

from . import factories

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize("subject, body, message", [
    ("", "texte", "L'objet du message est obligatoire"),
    ("  Objet ", "   ", "Le texte du message est obligatoire"),
    ("a\nBcc: x@y.fr", "t", "une ligne"),
    ("x" * (writing.SUBJECT_MAX + 1), "t", "200 caractères"),
    ("Objet", "x" * (writing.BODY_MAX + 1), "20 000 caractères"),
])
def test_r_acc_7_message_limits_checked_once(subject, body, message):
    with pytest.raises(DomainError, match=message):
        writing.check_message(subject, body)


def test_r_acc_7_message_stripped_at_the_limits():
    subject, body = writing.check_message(" " + "s" * writing.SUBJECT_MAX + " ",
                                          "b" * writing.BODY_MAX + "\n")
    assert len(subject) == writing.SUBJECT_MAX and len(body) == writing.BODY_MAX


def _audits(action):
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def test_r_acc_8_write_to_one_account_called_directly(app, etab, other_etab, smtp):
    """R-ACC-8: « Écrire » of « Gérer le compte » as an operation: a pupil at its account's
    address (audited), a guardian like one row of the mass action; refusals in French."""
    avec = factories.make_eleve(etab, "AVEC", email="eleve@example.org")
    sans = factories.make_eleve(etab, "SANS")
    ailleurs = factories.make_eleve(other_etab, "AILLEURS", email="ailleurs@example.org")
    lien = factories.link(factories.make_eleve(etab, "ENFANT"),
                          factories.make_responsable(etab, email="parent@example.org"), 1)
    db.session.commit()
    recap = writing.write_to_account(etab.id, "eleve", avec.compte_id, subject=" Bonjour ",
                                     body="Texte", today=TODAY, by="chef.test")
    assert recap == {"sent": 1, "failed": [], "without_address": []}
    assert [m.subject for m in smtp.to("eleve@example.org")] == ["Bonjour"]
    assert [e.rows for e in _audits("eleve.ecrire")] == [[avec.compte_id]]
    with pytest.raises(DomainError, match="(?i)aucune adresse"):
        writing.write_to_account(etab.id, "eleve", sans.compte_id, subject="S", body="T",
                                 today=TODAY)
    for kind, compte_id in (("eleve", ailleurs.compte_id), ("responsable", avec.compte_id)):
        with pytest.raises(DomainError, match="Compte introuvable"):
            writing.write_to_account(etab.id, kind, compte_id, subject="S", body="T",
                                     today=TODAY)
    with pytest.raises(DomainError, match="obligatoire"):
        writing.write_to_account(etab.id, "eleve", avec.compte_id, subject="", body="T",
                                 today=TODAY)
    recap = writing.write_to_account(etab.id, "responsable", lien.compte_id, subject="Réunion",
                                     body="Jeudi", today=TODAY, by="chef.test")
    assert recap["sent"] == 1 and [m.subject for m in smtp.to("parent@example.org")] == [
        "Réunion"]
    assert len(_audits("responsable.ecrire")) == 1 and not smtp.to("ailleurs@example.org")
