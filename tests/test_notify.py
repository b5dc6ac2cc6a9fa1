"""Bulk notification (R-ACC-3/4/5/6/9): PDF read back with pypdf, emails received by a real
aiosmtpd server, and the « nothing lost » fault cases (issue 3 point 4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from admints import secrets_store
from admints.comptes import notification, writing
from admints.errors import DomainError
from admints.models import AuditEntry, Compte, EtatCompte

from . import factories

TODAY = dt.date(2026, 11, 28)
PWD = re.compile(r"\b[A-HJKMNP-Z2-9]{8}\b")


def pages_text(path) -> list[str]:
    return [p.extract_text() for p in PdfReader(str(path)).pages]


def with_password(compte, password="K7QMS5XP"):
    compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret(password)
    return password


def build_eleves(db, etab):
    """Four pupils over two divisions, created out of order: 6B Aubert (Non notifié),
    6A Zola (Notifié, password kept), 6A Martin (Utilisé), 6B Bernard (Utilisé)."""
    d6a, d6b = factories.make_division(etab, "6A"), factories.make_division(etab, "6B")
    aubert = factories.make_eleve(etab, "AUBERT", "Léa", division=d6b, identifiant="lea.aubert")
    zola = factories.make_eleve(etab, "ZOLA", "Émile", division=d6a, etat=EtatCompte.NOTIFIE,
                                identifiant="emile.zola")
    martin = factories.make_eleve(etab, "MARTIN", "Zoë", division=d6a, etat=EtatCompte.UTILISE,
                                  identifiant="zoe.martin", mot_de_passe_hash="x")
    bernard = factories.make_eleve(etab, "BERNARD", "Łukasz", division=d6b,
                                   etat=EtatCompte.UTILISE, identifiant="lukasz.bernard")
    kept = with_password(zola.compte)
    db.session.commit()
    return {"aubert": aubert, "zola": zola, "martin": martin, "bernard": bernard, "kept": kept}


def ids(*eleves):
    return [e.compte_id for e in eleves]


def test_r_acc_5_eleves_one_pdf_sorted_by_division_then_name(db, etab, tmp_path):
    data = build_eleves(db, etab)
    out = tmp_path / "eleves.pdf"
    recap = notification.notify(etab.id, "eleve",
                                ids(*[data[k] for k in ("aubert", "zola", "martin", "bernard")]),
                                mode="papier", today=TODAY, out_path=out)
    db.session.commit()
    texts = pages_text(out)
    assert recap.pages == len(texts) == 4
    order = [next(i for i in ("emile.zola", "zoe.martin", "lea.aubert", "lukasz.bernard")
                  if i in t) for t in texts]
    assert order == ["zoe.martin", "emile.zola", "lea.aubert", "lukasz.bernard"]
    # R-ACC-3: Notifié keeps its password; Non notifié gets one; Utilisé shows none.
    assert data["kept"] in texts[1]
    aubert = db.session.get(Compte, data["aubert"].compte_id)
    new_pwd = secrets_store.decrypt_secret(aubert.mot_de_passe_provisoire_chiffre)
    assert new_pwd and new_pwd in texts[2]
    for used in (texts[0], texts[3]):
        assert data["kept"] not in used and new_pwd not in used
        assert not PWD.findall(used)
    assert {c.etat for c in db.session.scalars(db.select(Compte).where(
        Compte.id.in_(ids(data["aubert"], data["zola"]))))} == {EtatCompte.NOTIFIE}
    martin = db.session.get(Compte, data["martin"].compte_id)
    assert martin.etat == EtatCompte.UTILISE and martin.mot_de_passe_hash == "x"
    assert martin.mode_notification == "courrier" and martin.date_notification.date() == TODAY
    assert recap.as_dict()["notified"] == 4 and recap.failed == []


def test_r_acc_5_reset_used_issues_new_password_printed_for_utilise(db, etab, tmp_path):
    data = build_eleves(db, etab)
    out = tmp_path / "reset.pdf"
    notification.notify(etab.id, "eleve", ids(data["martin"], data["zola"]), mode="papier",
                   reset_used=True, today=TODAY, out_path=out)
    db.session.commit()
    martin = db.session.get(Compte, data["martin"].compte_id)
    pwd = secrets_store.decrypt_secret(martin.mot_de_passe_provisoire_chiffre)
    texts = pages_text(out)
    assert pwd in next(t for t in texts if "zoe.martin" in t)
    assert martin.etat == EtatCompte.NOTIFIE and martin.mot_de_passe_hash is None
    # The Notifié account is not Utilisé: it keeps its password even with the option.
    assert data["kept"] in next(t for t in texts if "emile.zola" in t)


def test_r_acc_5_eleves_are_paper_only(db, etab, tmp_path):
    data = build_eleves(db, etab)
    with pytest.raises(DomainError, match="papier"):
        notification.notify(etab.id, "eleve", ids(data["aubert"]), mode="courriel", today=TODAY,
                       out_path=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_r_sec_1_notify_ignores_ids_of_another_establishment(db, etab, other_etab, tmp_path):
    mine = factories.make_eleve(etab, "A", "B")
    theirs = factories.make_eleve(other_etab, "C", "D")
    db.session.commit()
    recap = notification.notify(etab.id, "eleve", ids(mine, theirs), mode="papier", today=TODAY,
                           out_path=tmp_path / "a.pdf")
    db.session.commit()
    assert recap.total == 1 and recap.notified == [mine.compte_id]
    assert db.session.get(Compte, theirs.compte_id).etat == EtatCompte.NON_NOTIFIE


def test_r_acc_4_nothing_lost_when_pdf_writing_fails(db, etab, tmp_path, monkeypatch):
    """An exception while writing the PDF: no account advanced, no file, reasons listed."""
    data = build_eleves(db, etab)

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    # The failure happens after every page was drawn, when the file is saved.
    monkeypatch.setattr(Canvas, "save", disk_full)
    out = tmp_path / "broken.pdf"
    recap = notification.notify(etab.id, "eleve", ids(data["aubert"], data["zola"], data["martin"]),
                           mode="papier", today=TODAY, out_path=out)
    db.session.commit()
    assert not out.exists() and recap.pdf_path is None
    assert recap.notified == [] and len(recap.failed) == 3
    assert all("PDF" in f["reason"] for f in recap.failed)
    aubert = db.session.get(Compte, data["aubert"].compte_id)
    assert aubert.etat == EtatCompte.NON_NOTIFIE and aubert.mot_de_passe_provisoire_chiffre is None
    assert db.session.get(Compte, data["zola"].compte_id).date_notification is None


# ---------------------------------------------------------------- responsables and emails

def build_responsables(db, etab, emails):
    """One pupil per address of `email_syntax` (None = no address), légal 1 each, in 6A."""
    div = factories.make_division(etab, "6A")
    liens = []
    for i, email in enumerate(emails):
        eleve = factories.make_eleve(etab, f"ELEVE{i:02d}", "Test", division=div)
        resp = factories.make_responsable(etab, f"PARENT{i:02d}", "Anne", email=email)
        liens.append(factories.link(eleve, resp, 1, identifiant=f"anne.parent{i:02d}"))
    db.session.commit()
    return liens


def rids(liens):
    return [lien.compte_id for lien in liens]


def test_r_acc_4_courriel_seul_sends_identifier_and_password(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["anne0@example.org", "jean@", None])
    recap = notification.notify(etab.id, "responsable", rids(liens), mode="courriel", today=TODAY,
                           out_path=tmp_path / "r.pdf")
    db.session.commit()
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["anne0@example.org"]
    assert "Scolarité services" in mail.subject
    compte = db.session.get(Compte, liens[0].compte_id)
    pwd = secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)
    assert "anne.parent00" in mail.text() and pwd in mail.text() and pwd in mail.html()
    assert compte.etat == EtatCompte.NOTIFIE and compte.mode_notification == "courriel"
    reasons = {f["identifiant"]: f["reason"] for f in recap.failed}
    assert "invalide" in reasons["anne.parent01"] and "Aucune adresse" in reasons["anne.parent02"]
    for lien in liens[1:]:
        assert db.session.get(Compte, lien.compte_id).etat == EtatCompte.NON_NOTIFIE
    assert not (tmp_path / "r.pdf").exists() and recap.pages == 0


def test_r_acc_3_utilise_email_recalls_identifier_without_password(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["used@example.org"])
    compte = db.session.get(Compte, liens[0].compte_id)
    compte.etat, compte.mot_de_passe_hash = EtatCompte.UTILISE, "argon2-hash"
    db.session.commit()
    notification.notify(etab.id, "responsable", rids(liens), mode="courriel", today=TODAY,
                   out_path=tmp_path / "u.pdf")
    db.session.commit()
    text = smtp.messages[0].text()
    assert "anne.parent00" in text and "Mot de passe provisoire" not in text
    assert not PWD.findall(text)
    assert db.session.get(Compte, compte.id).etat == EtatCompte.UTILISE


def test_r_acc_3_en_cours_activation_gets_a_new_password(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["encours@example.org"])
    compte = db.session.get(Compte, liens[0].compte_id)
    compte.etat = EtatCompte.EN_COURS_ACTIVATION
    old = with_password(compte, "AAAA2222")
    db.session.commit()
    notification.notify(etab.id, "responsable", rids(liens), mode="courriel", today=TODAY,
                   out_path=tmp_path / "e.pdf")
    db.session.commit()
    compte = db.session.get(Compte, compte.id)
    new = secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)
    assert new != old and new in smtp.messages[0].text() and old not in smtp.messages[0].text()
    assert compte.etat == EtatCompte.NOTIFIE


def test_r_acc_4_refused_recipient_keeps_previous_state(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["ok1@example.org", "refuse@example.org",
                                          "ok2@example.org"])
    smtp.handler.refuse = {"refuse@example.org"}
    recap = notification.notify(etab.id, "responsable", rids(liens), mode="courriel", today=TODAY,
                           out_path=tmp_path / "r.pdf")
    db.session.commit()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["ok1@example.org", "ok2@example.org"]
    assert [f["identifiant"] for f in recap.failed] == ["anne.parent01"]
    assert "refusée" in recap.failed[0]["reason"]
    assert db.session.get(Compte, liens[1].compte_id).etat == EtatCompte.NON_NOTIFIE
    assert db.session.get(Compte, liens[2].compte_id).etat == EtatCompte.NOTIFIE


def test_r_acc_4_smtp_stopped_mid_batch_then_rerun_on_state_completes(app, db, etab, smtp,
                                                                     tmp_path):
    liens = build_responsables(db, etab, [f"p{i}@example.org" for i in range(6)])
    smtp.handler.die_after = 2
    recap = notification.notify(etab.id, "responsable", rids(liens), mode="courriel", today=TODAY,
                           out_path=tmp_path / "r.pdf")
    db.session.commit()
    delivered = {m.rcpt_tos[0] for m in smtp.messages}
    assert len(delivered) == 2 and len(recap.notified) == 2 and len(recap.failed) == 4
    assert all(f["reason"] for f in recap.failed)
    states = {lien.compte_id: db.session.get(Compte, lien.compte_id).etat for lien in liens}
    for lien in liens:
        email = f"p{int(lien.compte.identifiant[-2:])}@example.org"
        expected = EtatCompte.NOTIFIE if email in delivered else EtatCompte.NON_NOTIFIE
        assert states[lien.compte_id] == expected
    # Rerun filtered on the state with a working server: the rest is completed.
    from .smtp_server import SmtpServer

    server = SmtpServer().start()
    try:
        app.config["MAIL_PORT"] = server.port
        todo = [i for i, etat in states.items() if etat == EtatCompte.NON_NOTIFIE]
        recap2 = notification.notify(etab.id, "responsable", todo, mode="courriel", today=TODAY,
                                out_path=tmp_path / "r2.pdf")
        db.session.commit()
    finally:
        server.stop()
    assert len(recap2.notified) == 4 and recap2.failed == []
    assert {m.rcpt_tos[0] for m in server.messages} | delivered == \
        {f"p{i}@example.org" for i in range(6)}


def test_r_acc_4_courriel_et_papier_paper_for_no_address_and_refused(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["ok@example.org", None, "refuse@example.org"])
    smtp.handler.refuse = {"refuse@example.org"}
    out = tmp_path / "mixte.pdf"
    recap = notification.notify(etab.id, "responsable", rids(liens), mode="courriel-et-papier",
                           today=TODAY, out_path=out)
    db.session.commit()
    texts = pages_text(out)
    assert len(texts) == 2 and recap.fallback_to_paper == 1
    assert any("anne.parent01" in t for t in texts) and any("anne.parent02" in t for t in texts)
    assert recap.by_mode == {"courriel": 1, "courrier": 2} and recap.failed == []
    modes = [db.session.get(Compte, lien.compte_id).mode_notification for lien in liens]
    assert modes == ["courriel", "courrier", "courrier"]
    # The paper letter of a new account carries its temporary password.
    compte = db.session.get(Compte, liens[1].compte_id)
    assert secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre) in \
        next(t for t in texts if "anne.parent01" in t)


def test_r_acc_4_papier_seul_sends_no_email_and_prints_addressless_letter(db, etab, smtp,
                                                                          tmp_path):
    liens = build_responsables(db, etab, ["a@example.org"])
    liens[0].responsable.adresse_ligne1 = None
    liens[0].responsable.code_postal = liens[0].responsable.commune = None
    db.session.commit()
    out = tmp_path / "p.pdf"
    recap = notification.notify(etab.id, "responsable", rids(liens), mode="papier", today=TODAY,
                           out_path=out)
    db.session.commit()
    assert smtp.messages == [] and recap.pages == 1 and "anne.parent00" in pages_text(out)[0]


def test_r_acc_9_continuity_letter_identifier_only(db, etab, tmp_path):
    eleve = factories.make_eleve(etab, "CONTI", "Nuité", etat=EtatCompte.NOTIFIE,
                                 identifiant="nuite.conti", continuite=True)
    db.session.commit()
    out = tmp_path / "c.pdf"
    notification.notify(etab.id, "eleve", [eleve.compte_id], mode="papier", today=TODAY,
                   out_path=out)
    text = pages_text(out)[0]
    assert "nuite.conti" in text and not PWD.findall(text.replace("nuite.conti", ""))


def test_r_acc_4_sibling_account_gets_one_letter(db, etab, tmp_path):
    div = factories.make_division(etab, "5A")
    e1 = factories.make_eleve(etab, "FRERE", "Paul", division=div)
    e2 = factories.make_eleve(etab, "FRERE", "Anna", division=div)
    resp = factories.make_responsable(etab, "FRERE", "Mère")
    l1 = factories.link(e1, resp, 1, identifiant="mere.frere")
    factories.link(e2, resp, 1, compte=l1.compte)
    db.session.commit()
    recap = notification.notify(etab.id, "responsable", [l1.compte_id], mode="papier", today=TODAY,
                           out_path=tmp_path / "s.pdf")
    assert recap.pages == 1 and recap.notified == [l1.compte_id]


def test_r_sec_3_notification_is_audited_without_password(db, etab, tmp_path):
    data = build_eleves(db, etab)
    notification.notify(etab.id, "eleve", ids(data["aubert"]), mode="papier", today=TODAY,
                   out_path=tmp_path / "a.pdf", by="chef.0999001a")
    db.session.commit()
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "eleve.notifier"))
    assert entry.rows == [data["aubert"].compte_id] and entry.login == "chef.0999001a"
    pwd = secrets_store.decrypt_secret(
        db.session.get(Compte, data["aubert"].compte_id).mot_de_passe_provisoire_chiffre)
    assert pwd not in (entry.after or "") + (entry.target or "")


def test_r_acc_8_single_renotify_and_reset_responsable(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["single@example.org"])
    compte = db.session.get(Compte, liens[0].compte_id)
    compte.etat, compte.mot_de_passe_hash = EtatCompte.UTILISE, "chosen"
    db.session.commit()
    recap = notification.notify(etab.id, "responsable", [compte.id], mode="courriel",
                                reset_all=True, today=TODAY, out_path=tmp_path / "s.pdf")
    db.session.commit()
    compte = db.session.get(Compte, compte.id)
    pwd = secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)
    assert recap.notified == [compte.id] and pwd in smtp.messages[0].text()
    assert compte.etat == EtatCompte.NOTIFIE and compte.mot_de_passe_hash is None


def test_r_acc_8_resend_activation_email_after_correcting_address(app, db, etab, smtp):
    from admints.comptes import portal

    liens = build_responsables(db, etab, ["siecle@example.org"])
    compte = db.session.get(Compte, liens[0].compte_id)
    compte.etat, compte.email = EtatCompte.EN_COURS_ACTIVATION, "typo@exmaple.org"
    db.session.commit()
    with pytest.raises(DomainError, match="invalide"):
        writing.resend_activation(etab.id, compte.id, "pas-une-adresse", today=TODAY)
    db.session.rollback()
    writing.resend_activation(etab.id, compte.id, "fixed@example.org", today=TODAY)
    db.session.commit()
    mail = smtp.messages[-1]
    assert mail.rcpt_tos == ["fixed@example.org"] and "anne.parent00" in mail.text()
    token = re.search(r"/activation/(\S+)", mail.text()).group(1)
    portal.validate_email(token, today=TODAY)
    assert compte.etat == EtatCompte.UTILISE and compte.email_valide


def test_r_acc_8_resend_activation_refused_rolls_back(app, db, etab, smtp, other_etab):
    liens = build_responsables(db, etab, ["x@example.org"])
    compte = db.session.get(Compte, liens[0].compte_id)
    compte.etat, compte.email = EtatCompte.EN_COURS_ACTIVATION, "old@example.org"
    db.session.commit()
    smtp.handler.refuse = {"refuse@example.org"}
    with pytest.raises(DomainError, match="pas été envoyé"):
        writing.resend_activation(etab.id, compte.id, "refuse@example.org", today=TODAY)
    db.session.rollback()
    assert db.session.get(Compte, compte.id).email == "old@example.org"
    with pytest.raises(DomainError, match="introuvable"):  # R-SEC-1
        writing.resend_activation(other_etab.id, compte.id, "a@example.org", today=TODAY)


def test_r_acc_6_progress_reaches_total_with_fallback_letters(db, etab, smtp, tmp_path):
    liens = build_responsables(db, etab, ["ok@example.org", "refuse@example.org", None])
    smtp.handler.refuse = {"refuse@example.org"}
    seen = []
    notification.notify(etab.id, "responsable", rids(liens), mode="courriel-et-papier", today=TODAY,
                   out_path=tmp_path / "p.pdf", progress=lambda d, t: seen.append((d, t)))
    # Two emails tried (one refused), then two letters (no address, and the refused one).
    assert seen[-1] == (4, 4)


def test_r_acc_6_start_notification_is_a_domain_operation(app, db, etab, tmp_path):
    """R-ACC-6: the operation behind the mass action, « Gérer le compte » and the CLI, called
    directly: one job, its PDF under the establishment's jobs directory (the PDF path rule),
    progress reported, then the PDF deleted and audited (R-SEC-3)."""
    from admints.comptes import notification_jobs

    data = build_eleves(db, etab)
    root = tmp_path / "out"
    out_dir = notification_jobs.jobs_dir(root, etab.id)
    seen = []
    job = notification_jobs.start_notification(
        etab.id, "eleve", ids(data["aubert"], data["zola"]), mode="papier", today=TODAY,
        by="chef.test", out_dir=out_dir, on_progress=lambda d, t: seen.append((d, t)))
    assert job.status == "done" and job.result["notified"] == 2 and seen[-1] == (2, 2)
    pdf = notification_jobs.job_pdf(job, root)
    assert pdf is not None and pdf.parent == out_dir.resolve() and len(pages_text(pdf)) == 2
    assert notification_jobs.job_pdf(job, tmp_path / "elsewhere") is None
    assert notification_jobs.delete_pdf(job, root, by="chef.test")
    db.session.commit()
    assert not pdf.exists() and not notification_jobs.delete_pdf(job, root, by="chef.test")
    entry = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "notification.pdf_supprime")).one()
    assert entry.target == f"Tâche {job.id}" and entry.etablissement_id == etab.id


def test_r_acc_4_r_acc_5_transmission_modes_from_one_place():
    """R-ACC-4/5: the modes a screen offers come from the domain: pupils on paper only;
    guardians email and/or paper, paper only when no address would be used."""
    from admints.comptes import notification

    assert list(notification.modes_for("eleve")) == ["papier"]
    assert list(notification.modes_for("responsable")) == [
        "courriel-et-papier", "courriel", "papier"]
    assert notification.modes_for("responsable")["courriel"] == "Courriel seul"
    assert list(notification.available_modes("responsable", None)) == ["papier"]
    assert notification.available_modes("responsable", "a@example.org") == \
        notification.modes_for("responsable")
    assert list(notification.available_modes("eleve", "a@example.org")) == ["papier"]
    assert notification.modes_for("inconnu") == {}
