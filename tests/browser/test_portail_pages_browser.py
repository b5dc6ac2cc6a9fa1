"""A guardian on a phone (R-POR-2, 390 × 844, system Chromium): home page (welcome message,
services, ENT, useful links), Notes of each child (switching with the child buttons), another
service, the contact page and a « service not open » page. On every page axe-core finds no
serious or critical violation, there is one h1 and nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt

from admints import clock
from admints.models import LienUtile
from admints.parametrage import portal_links, welcome

from ..portail_family import evaluation, household
from ..portail_helpers import NEW_PASSWORD
from .test_portail_activation_browser import _check_page


def test_r_por_2_family_pages_on_a_phone_axe_clean(app, db, etab, other_etab, live_server,
                                                   phone):
    family = household(etab, other_etab)
    today = clock.today()
    evaluation(family.lea, "Mathématiques", today - dt.timedelta(days=3),
               libelle="Contrôle sur les fractions et les nombres décimaux relatifs")
    evaluation(family.tom, "Anglais LV1", today - dt.timedelta(days=2))
    welcome.save(etab.id, "<p>Bienvenue ! <b>Portes ouvertes</b> le samedi 12 juin, "
                 '<a href="https://college.example.fr/portes-ouvertes">programme</a>.</p>',
                 today=today)
    portal_links.save_ent(etab, "mixte", url="https://ent.college.example.fr/", today=today)
    db.session.add(LienUtile(etablissement_id=etab.id, libelle="Menus de la cantine",
                             url="https://cantine.example.fr/", position=1))
    yesterday = today - dt.timedelta(days=1)  # in force today (next-day rule, R-PAR-1)
    portal_links.publish_liens(etab.id, today=yesterday)
    portal_links.save_contact(etab, etab.emails[0], True, today=yesterday)
    db.session.commit()
    failed: list[str] = []
    phone.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    visited: list[str] = []

    phone.goto(f"{live_server}/scolarite/connexion", wait_until="networkidle")
    phone.fill("input[name=login]", "marie.martin")
    phone.fill("input[name=password]", NEW_PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_url(f"{live_server}/scolarite/")
    main = phone.inner_text("main")
    assert "Portes ouvertes" in main and "Menus de la cantine" in main
    assert "Espace numérique de travail" in main and "Vos enfants" in main
    _check_page(phone, visited)

    phone.click("main a[href='/scolarite/notes']")
    phone.wait_for_url("**/scolarite/notes")
    assert "Contrôle sur les fractions" in phone.inner_text("main")
    _check_page(phone, visited)
    phone.click(f"main a[href='/scolarite/notes?eleve={family.tom.id}']")
    phone.wait_for_url(f"**/scolarite/notes?eleve={family.tom.id}")
    assert "Anglais LV1" in phone.inner_text("main")
    _check_page(phone, visited)

    phone.goto(f"{live_server}/scolarite/services/bourses", wait_until="networkidle")
    _check_page(phone, visited)
    phone.goto(f"{live_server}/scolarite/contact", wait_until="networkidle")
    assert etab.emails[0] in phone.inner_text("main")
    _check_page(phone, visited)
    phone.goto(f"{live_server}/scolarite/services/paiement", wait_until="networkidle")
    assert "n'est pas ouvert" in phone.inner_text("main")
    _check_page(phone, visited)
    assert [u for u in failed if "/services/paiement" not in u] == []
    assert len(visited) == 6
