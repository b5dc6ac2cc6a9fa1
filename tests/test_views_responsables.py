"""« Accès des responsables » screens: one row per pupil–guardian pair, filters (division,
quality, state), invalid email pictogram, select-all-matching notification by email over a
real SMTP server, « Écrire à plusieurs responsables », CSV, Gérer le compte, roles, isolation."""

from __future__ import annotations

import re

from admints.extensions import db
from admints.models import Compte, EtatCompte

from . import factories as f
from .comptes_helpers import all_state, csrf_of, etats, pdf_text, post_action, school

BASE = "/responsables/"


def _ids(liens):
    return [lien.compte_id for lien in liens]


def test_r_acc_4_one_row_per_pair_filters_quality_and_division(client, auth, etab, other_etab):
    s = school(etab, n_6a=3, n_6b=2)
    school(other_etab, n_6a=2, n_6b=0)
    e = s["eleves"][0]
    r2 = f.make_responsable(etab, nom="SECOND", prenom="Paul", email=None)
    f.link(e, r2, 2)
    autre = f.make_responsable(etab, nom="AUTRE", prenom="Tata")
    f.link(e, autre, 0)  # not légal 1/2: no account, not listed
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert "sur 6" in html and "AUTRE" not in html and "resp.0999002b" not in html
    assert "Légal 1" in html and "Légal 2" in html
    assert "12 rue des Lilas" in html  # no email: the postal address is shown
    html = client.get(f"{BASE}?flt0_qualite=2").get_data(as_text=True)
    assert "sur 1" in html and "SECOND" in html
    html = client.get(f"{BASE}?flt0_division={s['6B'].id}").get_data(as_text=True)
    assert "sur 2" in html and "NOM003" in html and "NOM000" not in html
    html = client.get(f"{BASE}?flt0_division={s['6A'].id}&flt1_qualite=1&flt2_etat=non_notifie"
                      ).get_data(as_text=True)
    assert "sur 3" in html


def test_r_acc_4_invalid_email_flagged_with_pictogram(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    r = f.make_responsable(etab, nom="TYPO", email="marie.dupont@gmail")
    f.link(s["eleves"][0], r, 1)
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert 'class="email-invalide" title="Format d&#39;adresse de messagerie invalide"' in html \
        or "class=\"email-invalide\" title=\"Format d'adresse de messagerie invalide\"" in html
    assert "marie.dupont@gmail" in html


def test_r_acc_4_select_all_notify_by_email_real_smtp(client, auth, etab, other_etab, smtp):
    s = school(etab, n_6a=55, n_6b=2)
    o = school(other_etab, n_6a=2, n_6b=0)
    auth.login("chef.0999001a")
    q = f"flt0_division={s['6A'].id}"
    resp = post_action(client, BASE, "notifier", query=q, select_all=True)
    html = resp.get_data(as_text=True)
    assert "<strong>55</strong> compte(s)" in html and "Courriel seul" in html
    assert not smtp.messages and all_state(_ids(s["liens"]))
    resp = post_action(client, BASE, "notifier", query=q, select_all=True, confirme="1",
                       mode="courriel")
    assert resp.status_code == 302
    assert all_state(_ids(s["liens"][:55]), EtatCompte.NOTIFIE)
    assert all_state(_ids(s["liens"][55:])) and all_state(_ids(o["liens"]))
    assert len(smtp.messages) == 55
    assert smtp.to("parent0.0999001a@example.org")
    job_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert re.search(r'recap-courriel">55<', job_page)


def test_r_acc_4_courriel_seul_failures_listed_and_unchanged(client, auth, etab, smtp):
    s = school(etab, n_6a=2, n_6b=0)
    bad = f.make_responsable(etab, nom="SANSMAIL", email=None)
    lien = f.link(s["eleves"][0], bad, 2)
    db.session.commit()
    auth.login("chef.0999001a")
    rowids = [lien.id, s["liens"][0].id]
    resp = post_action(client, BASE, "notifier", rowids=rowids, confirme="1", mode="courriel")
    job_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Comptes n&#39;ayant pu être notifiés" in job_page or \
        "Comptes n'ayant pu être notifiés" in job_page
    assert etats([lien.compte_id]) == [EtatCompte.NON_NOTIFIE]
    assert etats([s["liens"][0].compte_id]) == [EtatCompte.NOTIFIE]


def test_r_acc_4_paper_pdf_of_the_selection(client, auth, etab):
    s = school(etab, n_6a=3, n_6b=0)
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "notifier", select_all=True, confirme="1", mode="papier")
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    pdf = client.get(f"/taches/{job_id}/pdf")
    pages, text = pdf_text(pdf.data)
    assert pages == 3 and "resp.0999001a.2" in text
    assert all_state(_ids(s["liens"]), EtatCompte.NOTIFIE)


def test_r_acc_7_write_to_several_responsables(client, auth, etab, smtp):
    s = school(etab, n_6a=3, n_6b=0)
    nomail = f.make_responsable(etab, nom="SANSMAIL", email=None)
    lien = f.link(s["eleves"][1], nomail, 2)
    db.session.commit()
    auth.login("chef.0999001a")
    rowids = [li.id for li in s["liens"]] + [lien.id]
    resp = post_action(client, BASE, "ecrire", rowids=rowids)
    assert 'name="sujet"' in resp.get_data(as_text=True) and not smtp.messages
    # Missing text: refused in French, nothing sent.
    resp = post_action(client, BASE, "ecrire", rowids=rowids, confirme="1", sujet="Réunion",
                       texte="")
    assert "Le texte du message est obligatoire" in resp.get_data(as_text=True)
    assert not smtp.messages
    resp = post_action(client, BASE, "ecrire", rowids=rowids, confirme="1",
                       sujet="Réunion parents-professeurs", texte="Jeudi 18 h.")
    html = resp.get_data(as_text=True)
    assert re.search(r'recap-sent">3<', html)
    assert len(smtp.messages) == 3
    assert all(m.subject == "Réunion parents-professeurs" for m in smtp.messages)
    assert all_state(_ids(s["liens"]))  # writing does not notify


def test_r_acc_4_export_csv_one_row_per_pair(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    r = f.make_responsable(etab, nom="-2+3", prenom="=cmd|' /C calc'!A0", email=None,
                           civilite=None)
    f.link(s["eleves"][0], r, 1)
    db.session.commit()
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "exporter", select_all=True)
    body = resp.data.decode("utf-8")
    assert body.startswith("\ufeff") and "Légal 1" in body
    assert "'-2+3" in body and ";-2+3" not in body


def test_r_sec_1_assistance_no_mass_action_but_gerer(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0)
    auth.login("assistance.0999001a")
    token = csrf_of(client, BASE)
    for action in ("notifier", "reinitialiser", "exporter", "ecrire"):
        resp = post_action(client, BASE, action, rowids=[s["liens"][0].id], select_all=True,
                           confirme="1", mode="papier", token=token)
        assert resp.status_code == 403
    assert client.get(f"{BASE}compte/{s['liens'][0].id}/").status_code == 200
    assert all_state(_ids(s["liens"]))


def test_r_acc_8_gerer_page_email_red_and_activation_resend(client, auth, etab, smtp):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    compte = db.session.get(Compte, lien.compte_id)
    compte.etat = EtatCompte.EN_COURS_ACTIVATION
    compte.email = "ancien@example.org"
    compte.email_valide = False
    db.session.commit()
    auth.login("assistance.0999001a")
    page = f"{BASE}compte/{lien.id}/"
    html = client.get(page).get_data(as_text=True)
    assert 'class="email-non-valide"' in html and "ancien@example.org" in html
    assert "Renvoyer le courriel d&#39;activation" in html or \
        "Renvoyer le courriel d'activation" in html
    token = csrf_of(client, page)
    # Bad address: French error, nothing changed, nothing sent.
    resp = client.post(f"{page}activation/", data={"csrf_token": token, "email": "pas-une-adresse"})
    assert resp.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "invalide" in html and not smtp.messages
    db.session.expire_all()
    assert db.session.get(Compte, lien.compte_id).email == "ancien@example.org"
    resp = client.post(f"{page}activation/", data={"csrf_token": token,
                                                    "email": "nouveau@example.org"})
    assert resp.status_code == 302
    assert smtp.to("nouveau@example.org")
    db.session.expire_all()
    assert db.session.get(Compte, lien.compte_id).email == "nouveau@example.org"


def test_r_sec_1_foreign_pair_ids_everywhere(client, auth, etab, other_etab):
    school(etab, n_6a=1, n_6b=0)
    o = school(other_etab, n_6a=1, n_6b=0)
    foreign = o["liens"][0]
    auth.login("chef.0999001a")
    token = csrf_of(client, BASE)
    assert client.get(f"{BASE}compte/{foreign.id}/").status_code == 404
    for op in ("renotifier", "renotifier_reinit", "activation", "ecrire", "nouveau"):
        resp = client.post(f"{BASE}compte/{foreign.id}/{op}/",
                           data={"csrf_token": token, "mode": "papier", "confirme": "1",
                                 "sujet": "x", "texte": "y", "email": "a@b.fr"})
        assert resp.status_code == 404
    for action in ("notifier", "reinitialiser", "exporter"):
        resp = post_action(client, BASE, action, rowids=[foreign.id], confirme="1",
                           mode="papier", token=token)
        assert resp.status_code == 302  # « Aucun compte sélectionné », back to the list
    assert all_state([foreign.compte_id])


def test_r_acc_8_single_renotify_by_email_and_with_reset(client, auth, etab, smtp):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    compte = db.session.get(Compte, lien.compte_id)
    compte.etat = EtatCompte.UTILISE
    compte.mot_de_passe_hash = "x"
    db.session.commit()
    auth.login("assistance.0999001a")
    page = f"{BASE}compte/{lien.id}/"
    token = csrf_of(client, page)
    resp = client.post(f"{page}renotifier/", data={"csrf_token": token, "mode": "courriel"})
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]
    assert len(smtp.messages) == 1
    assert etats([lien.compte_id]) == [EtatCompte.UTILISE]  # Utilisé keeps its password
    resp = client.post(f"{page}renotifier_reinit/", data={"csrf_token": token, "mode": "papier",
                                                          "confirme": "1"})
    job_url = resp.headers["Location"]
    assert "Télécharger le document PDF" in client.get(job_url).get_data(as_text=True)
    assert etats([lien.compte_id]) == [EtatCompte.NOTIFIE]  # new temporary password
    job_id = int(re.search(r"/taches/(\d+)/", job_url).group(1))
    pages, text = pdf_text(client.get(f"/taches/{job_id}/pdf").data)
    assert pages == 1 and "resp.0999001a.0" in text


def test_r_acc_4_courriel_et_papier_email_when_valid_paper_otherwise(client, auth, etab, smtp):
    s = school(etab, n_6a=2, n_6b=0)
    typo = f.make_responsable(etab, nom="TYPO", email="typo@gmail")
    sans = f.make_responsable(etab, nom="SANS", email=None)
    l_typo, l_sans = f.link(s["eleves"][0], typo, 2), f.link(s["eleves"][1], sans, 2)
    db.session.commit()
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "notifier", select_all=True, confirme="1",
                       mode="courriel-et-papier")
    job_url = resp.headers["Location"]
    html = client.get(job_url).get_data(as_text=True)
    assert re.search(r'recap-courriel">2<', html) and re.search(r'recap-courrier">2<', html)
    assert len(smtp.messages) == 2
    job_id = int(re.search(r"/taches/(\d+)/", job_url).group(1))
    pages, text = pdf_text(client.get(f"/taches/{job_id}/pdf").data)
    assert pages == 2 and "TYPO" in text.upper() and "SANS" in text.upper()
    assert all_state(_ids(s["liens"]) + [l_typo.compte_id, l_sans.compte_id], EtatCompte.NOTIFIE)
    # The PDF can be deleted from the server once saved (it holds passwords).
    token = csrf_of(client, job_url)
    client.post(f"/taches/{job_id}/supprimer/", data={"csrf_token": token, "confirme": "1"})
    assert client.get(f"/taches/{job_id}/pdf").status_code == 404


def test_r_acc_4_list_page_queries_do_not_grow_with_rows(app, client, auth, etab):
    """No N+1: the same number of SQL statements for 2 rows and for 40 rows."""
    from sqlalchemy import event

    school(etab, n_6a=2, n_6b=0)
    auth.login("chef.0999001a")
    statements = []

    def count(_conn, _cursor, statement, *_args, **_kw):
        # The session store's own statements (a new CSRF token after login) are not the page's.
        if "server_session" not in statement:
            statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(BASE)
        small = len(statements)
        for i in range(19):
            e = f.make_eleve(etab, nom=f"AJOUT{i:02d}", division=None)
            f.link(e, f.make_responsable(etab, nom=f"RESP{i:02d}"), 1)
            f.link(e, f.make_responsable(etab, nom=f"RESQ{i:02d}", email=None), 2)
        db.session.commit()
        statements.clear()
        html = client.get(BASE).get_data(as_text=True)
        assert "sur 40" in html
        assert len(statements) == small
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_r_acc_4_list_cells_escaped_sorted_and_paged(client, auth, etab, other_etab):
    """The list page reads plain rows (Core statements built once per view): hostile SIECLE
    values are shown as text; sorting and paging apply to the establishment's rows only."""
    s = school(etab, n_6a=52, n_6b=0)
    school(other_etab, n_6a=2, n_6b=0)
    hostile = f.make_responsable(etab, nom="<script>alert(1)</script>", prenom="D'Arc & Fils",
                                 email='"><img src=x onerror=alert(1)>@x.fr')
    f.link(s["eleves"][0], hostile, 2)
    f.link(s["eleves"][1], f.make_responsable(etab, nom="SANSMAIL", email=None,
                                              adresse_ligne1="3 rue <b>Gras</b>"), 2)
    # The filter bar's options (written in Python, comptes_columns.option_elements) too.
    division = f.make_division(etab, code='3"><svg onload=alert(2)>')
    f.make_mef(etab, code="20010012110", libelle="<i>MEF</i> & 'co'")
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "D&#x27;Arc &amp; Fils" in html
    assert "3 rue &lt;b&gt;Gras&lt;/b&gt;" in html and "sur 54" in html
    assert "<svg" not in html and "<i>MEF" not in html
    assert f'<option value="{division.id}">3&quot;&gt;&lt;svg onload=alert(2)&gt;</option>' in html
    assert "&lt;i&gt;MEF&lt;/i&gt; &amp; &#x27;co&#x27;</option>" in html
    chosen = client.get(f"{BASE}?flt0_division={division.id}").get_data(as_text=True)
    assert f'<option value="{division.id}" selected>3&quot;&gt;' in chosen

    def pupils(page: str) -> list[str]:
        return re.findall(r'data-row-id="\d+">.*?<td>(NOM\d+)</td>', page)

    # Sorted on the pupil's name (column 0), descending, 50 rows a page.
    first = pupils(client.get(f"{BASE}?sort=0&desc=1").get_data(as_text=True))
    assert len(first) == 50 and first[0] == "NOM051" and first == sorted(first, reverse=True)
    second = client.get(f"{BASE}?sort=0&desc=1&page=1").get_data(as_text=True)
    assert pupils(second) == ["NOM001", "NOM001", "NOM000", "NOM000"]
    assert "resp.0999002b" not in second and "sur 54" in second


def test_r_acc_8_gerer_offers_the_modes_the_domain_gives(client, auth, etab):
    """R-ACC-8: « Gérer le compte » lists the modes `notification.available_modes` gives for
    the address a notification would use — all three with a valid address, paper alone
    without one — and the delivery label comes from `lifecycle.MODE_LABELS`."""
    s = school(etab, n_6a=1, n_6b=0)
    nomail = f.make_responsable(etab, nom="SANSMAIL", email=None)
    sans = f.link(s["eleves"][0], nomail, 2)
    avec = s["liens"][0]
    db.session.get(Compte, avec.compte_id).mode_notification = "courriel"
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}compte/{avec.id}/").get_data(as_text=True)
    assert all(f'<option value="{m}">' in html
               for m in ("courriel-et-papier", "courriel", "papier"))
    assert "(Courrier électronique)" in html
    html = client.get(f"{BASE}compte/{sans.id}/").get_data(as_text=True)
    assert '<option value="courriel' not in html
    assert '<input type="hidden" name="mode" value="papier">' in html
