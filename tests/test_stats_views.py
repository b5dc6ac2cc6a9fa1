"""Statistiques screens, CSV exports, plotly.js route and CLI (R-STA-1..3, R-SEC-1).

Uses the hand-built establishment of test_stats.py (`known`): 5 pupils (2 non notifiés,
1 notifié, 2 utilisés), 5 guardian accounts, 4 visits this school year; the other
establishment has 3 pupils, all with used accounts, and 5 visits.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pytest

from . import factories as f
from .test_stats import known  # noqa: F401 - fixture

PAGES = ("/statistiques/eleves/", "/statistiques/responsables/", "/statistiques/acces/")


def cells(html: str, table_id: str) -> dict[str, str]:
    """data-col → text of the first row of a table."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    return dict(re.findall(r'data-col="(\w+)">([^<]*)<', table))


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def figure(html: str, chart_id: str) -> dict:
    block = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>',
                      html, re.S)
    return json.loads(block.group(1))


def test_r_sta_1_screen_shows_guide_tables(client, auth, known):  # noqa: F811
    auth.login("chef.0999001a")
    html = client.get("/statistiques/eleves/").get_data(as_text=True)
    assert cells(html, "stats-etablissement") == {
        "eleves": "5", "non_notifies": "2", "notifies": "1", "utilises": "2",
        "pct_utilises": "40\u202f%"}
    # Guide's column order.
    heads = re.findall(r"<th scope=\"col\" class=\"admints-nombre\">([^<]*)</th>", html)
    assert heads[:5] == ["Nombre d&#39;élèves", "Nombre de comptes non notifiés",
                         "Nombre de comptes notifiés", "Nombre de comptes utilisés",
                         "% d&#39;élèves avec comptes utilisés"]
    assert html.index("6EME :") < html.index("5EME :")
    assert "Somme :" in html and ">5Z<" not in html
    fig = figure(html, "chart-comptes")
    assert fig["data"][2]["name"] == "Utilisés" and fig["data"][2]["y"] == [1, 1]
    assert "%{y:,d}" in fig["data"][0]["hovertemplate"]


def test_r_sta_2_screen_and_structure_csv(client, auth, known):  # noqa: F811
    auth.login("chef.0999001a")
    html = client.get("/statistiques/responsables/").get_data(as_text=True)
    assert cells(html, "stats-etablissement") == {
        "comptes": "5", "non_notifies": "1", "notifies": "3", "notifies_annee": "1",
        "utilises": "1", "pct_comptes_utilises": "20\u202f%",
        "pct_eleves_resp_utilise": "40\u202f%"}
    rows = read_csv(client.get("/statistiques/responsables/csv/structure"))
    assert rows[0][:3] == ["MEF", "Division", "Nombre de comptes responsables"]
    assert rows[1:] == [
        ["6EME", "6A", "1", "1", "0", "0", "0", "0\u202f%", "0\u202f%"],
        ["6EME", "6B", "2", "0", "1", "1", "1", "50\u202f%", "100\u202f%"],
        ["6EME", "Somme :", "3", "1", "1", "1", "1", "33,33\u202f%", "33,33\u202f%"],
        ["5EME", "5A", "3", "0", "2", "0", "1", "33,33\u202f%", "50\u202f%"],
        ["5EME", "Somme :", "3", "0", "2", "0", "1", "33,33\u202f%", "50\u202f%"],
    ]


def test_r_sta_1_csv_exports_and_formula_neutralised(client, auth, known, db):  # noqa: F811
    evil = f.make_division(known["etab"], "=HYPERLINK(1)")
    f.make_eleve(known["etab"], "EVIL", mef=known["m5"], division=evil)
    db.session.commit()
    auth.login("chef.0999001a")
    rows = read_csv(client.get("/statistiques/eleves/csv/etablissement"))
    assert rows == [["Nombre d'élèves", "Nombre de comptes non notifiés",
                     "Nombre de comptes notifiés", "Nombre de comptes utilisés",
                     "% d'élèves avec comptes utilisés"], ["6", "3", "1", "2", "33,33\u202f%"]]
    rows = read_csv(client.get("/statistiques/eleves/csv/structure"))
    assert ["5EME", "'=HYPERLINK(1)", "1", "1", "0", "0", "0\u202f%"] in rows
    assert client.get("/statistiques/eleves/csv/inconnue").status_code == 404


def test_r_sta_3_screen_charts_and_period(client, auth, known):  # noqa: F811
    auth.login("chef.0999001a")
    html = client.get("/statistiques/acces/?du=2026-09-01&au=2026-11-28").get_data(as_text=True)
    assert "du 01/09/2026 au 28/11/2026" in html
    fig = figure(html, "chart-mois")
    assert fig["data"][0]["x"] == ["septembre 2026", "octobre 2026", "novembre 2026"]
    assert fig["data"][0]["y"] == [2, 1, 1]
    assert "%{y:,d} accès" in fig["data"][0]["hovertemplate"]
    assert figure(html, "chart-categorie")["data"][0]["y"] == [3, 1]
    assert "/static/vendor/plotly/plotly-basic.min.js?v=" in html
    assert "cdn" not in html.lower()
    rows = read_csv(client.get("/statistiques/acces/csv/categorie?du=2026-09-01&au=2026-11-28"))
    assert rows == [["Catégorie", "Nombre d'accès"], ["Notes", "3"], ["Vie scolaire", "1"]]
    rows = read_csv(client.get("/statistiques/acces/csv/mois?du=2026-08-01&au=2026-08-31"))
    assert rows == [["Mois", "Nombre d'accès"], ["août 2026", "1"]]


def test_r_sta_3_bad_period_gives_french_message(client, auth, known):  # noqa: F811
    auth.login("chef.0999001a")
    html = client.get("/statistiques/acces/?du=2026-11-01&au=2026-10-01").get_data(as_text=True)
    assert "La date de début doit précéder la date de fin." in html
    assert "La période par défaut est affichée." in html
    html = client.get("/statistiques/acces/?du=abc").get_data(as_text=True)
    assert "Date invalide" in html
    response = client.get("/statistiques/acces/csv/mois?du=2026-11-01&au=2026-10-01")
    assert response.status_code == 400
    assert response.get_data(as_text=True) == "La date de début doit précéder la date de fin."


def test_r_sec_1_chef_never_sees_other_establishment(client, auth, known):  # noqa: F811
    """Screens and CSV URLs of the other establishment's head show only its own counts."""
    auth.login("chef.0999002b")
    html = client.get("/statistiques/eleves/").get_data(as_text=True)
    assert cells(html, "stats-etablissement")["eleves"] == "3"
    assert read_csv(client.get("/statistiques/eleves/csv/etablissement"))[1][:1] == ["3"]
    # No parameter can widen the scope: académie views and CSV are refused to a head.
    for url in ("/statistiques/eleves/csv/academie", "/statistiques/responsables/csv/academie",
                "/statistiques/acces/csv/academie"):
        assert client.get(url).status_code == 403
    html = client.get("/statistiques/eleves/?portee=academie&etablissement_id=1"
                      ).get_data(as_text=True)
    assert cells(html, "stats-etablissement")["eleves"] == "3"
    assert "Collège Victor-Hugo" not in html
    rows = read_csv(client.get("/statistiques/acces/csv/categorie"))
    assert rows[1:] == [["Notes", "5"]]
    rows = read_csv(client.get("/statistiques/responsables/csv/structure"))
    assert all(r[1] in ("6A", "Somme :") for r in rows[1:])


def statuses_of(app, login: str, urls) -> list[int]:
    """Status codes of `urls` for a fresh client logged in as `login`. A new app context per
    user: the `app` fixture keeps one open, so `g` (CSRF token, establishment) would otherwise
    carry over from one client to the next."""
    from .conftest import Auth

    with app.app_context():
        client = app.test_client()
        assert Auth(client).login(login).status_code == 302
        return [client.get(url).status_code for url in urls]


def test_r_sec_1_access_rights_on_statistics(app, client, known, db):  # noqa: F811
    f.make_user("delegue.sans", "delegue", etablissement=known["etab"], droits=["eleves"])
    f.make_user("delegue.stats", "delegue", etablissement=known["etab"], droits=["statistiques"])
    db.session.commit()
    assert client.get("/statistiques/eleves/").status_code == 302  # to the login page
    csv_url = "/statistiques/eleves/csv/etablissement"
    assert statuses_of(app, "assistance.0999001a", [*PAGES, csv_url]) == [403] * 4
    assert statuses_of(app, "delegue.sans", [*PAGES, csv_url]) == [403] * 4
    assert statuses_of(app, "delegue.stats", [*PAGES, csv_url]) == [200] * 4


def test_r_sta_academie_rollup_screens(client, auth, known, db):  # noqa: F811
    aca = known["etab"].academie
    f.make_etablissement(uai="0999003C", nom="Collège Albert-Camus", with_users=False)
    foreign = f.make_etablissement(uai="0888001A", nom="Collège Ailleurs", with_users=False,
                                   academie=f.make_academie("autre", "Autre"))
    f.make_eleve(foreign, "LOIN")
    f.make_user("rectorat.demo", "academie", academie=aca)
    db.session.commit()
    auth.login("rectorat.demo")
    html = client.get("/statistiques/eleves/?tri=pct_utilises&ordre=desc").get_data(as_text=True)
    assert re.findall(r'<tr data-uai="(\w+)"', html) == ["0999002B", "0999001A", "0999003C"]
    assert "0888001A" not in html
    rows = read_csv(client.get("/statistiques/eleves/csv/academie?tri=eleves&ordre=asc"))
    assert rows[0][:3] == ["UAI", "Établissement", "Nombre d'élèves"]
    assert [r[0] for r in rows[1:]] == ["0999003C", "0999002B", "0999001A", ""]
    assert rows[1][-1] == "—" and rows[-1][1:3] == ["Académie", "8"]
    html = client.get("/statistiques/responsables/").get_data(as_text=True)
    assert re.findall(r'<tr data-uai="(\w+)"', html) == ["0999003C", "0999002B", "0999001A"]
    html = client.get("/statistiques/acces/?tri=total&ordre=desc").get_data(as_text=True)
    assert re.findall(r'<tr data-uai="(\w+)"', html) == ["0999002B", "0999001A", "0999003C"]
    assert figure(html, "chart-categorie")["data"][0]["y"] == [8, 1]
    response = client.get("/statistiques/acces/csv/academie")
    assert "_demo.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["UAI", "Établissement", "Total", "Notes", "Vie scolaire"]
    # The selected establishment on demand.
    html = client.get("/statistiques/eleves/?portee=etablissement").get_data(as_text=True)
    assert "stats-etablissement" in html and "Voir toute l'académie" in html


def test_r_sta_3_plotly_served_by_the_app(client, auth, known):  # noqa: F811
    """The partial plotly.js bundle (scripts/fetch_plotly.py) is a versioned static file of the
    app: a year of cache, compressed when asked, and the page's CSP loads it."""
    auth.login("chef.0999001a")
    page = client.get("/statistiques/acces/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    src = re.search(r'<script src="(/static/vendor/plotly/plotly-basic\.min\.js\?v=\w+)"',
                    page.get_data(as_text=True)).group(1)
    response = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"plotly.js (basic" in gzip.decompress(response.get_data())[:2000]
    assert client.get("/static/admints-charts.js").status_code == 200


def test_r_sta_zero_pupils_screens_show_dash(client, auth, etab):
    auth.login("chef.0999001a")
    html = client.get("/statistiques/eleves/").get_data(as_text=True)
    assert cells(html, "stats-etablissement")["pct_utilises"] == "—"
    assert "Aucun élève dans l'établissement." in html
    html = client.get("/statistiques/responsables/").get_data(as_text=True)
    assert cells(html, "stats-etablissement")["pct_eleves_resp_utilise"] == "—"
    assert client.get("/statistiques/acces/").status_code == 200


def test_r_sta_cli_establishment_and_academie(runner, known):  # noqa: F811
    result = runner.invoke(args=["admints", "stats", "--uai", "0999001a", "--json",
                                 "--du", "2026-09-01", "--au", "2026-11-28"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["eleves"]["etablissement"]["utilises"] == 2
    assert data["responsables"]["etablissement"]["comptes"] == 5
    assert data["acces"]["total"] == 4
    result = runner.invoke(args=["admints", "stats", "--uai", "0999001A"])
    assert result.exit_code == 0
    assert ("Établissement : 5 élèves, 2 non notifiés, 1 notifiés, 2 utilisés (40\u202f%)"
            in result.output)
    result = runner.invoke(args=["admints", "stats", "--academie", "demo", "--json"])
    data = json.loads(result.output)
    assert [e["uai"] for e in data["eleves"]["etablissements"]] == ["0999002B", "0999001A"]


@pytest.mark.parametrize("args, message", [
    (["--uai", "0000000X"], "Établissement inconnu : 0000000X."),
    (["--academie", "nulle"], "Académie inconnue : nulle."),
    ([], "Indiquez soit --uai, soit --academie."),
    (["--uai", "0999001A", "--du", "2026-12-01", "--au", "2026-11-01"], "doit précéder"),
])
def test_r_sta_cli_bad_input(runner, known, args, message):  # noqa: F811
    result = runner.invoke(args=["admints", "stats", *args])
    assert result.exit_code == 1
    assert message in result.output
