"""Issue 12 points 8, 9 and 11, screen by screen (R-A11Y-1: French and readable; R-SEC-3: the
Journal; R-STA-3: the charts; R-SRV-2: the services screens).

The one formatting module (admints/formatting.py), the corrections of Flask-Admin's French
catalogue, the Journal in words, Plotly's French toolbar without its cloud button, and the small
defects seen in the browser: CSV header, favicon, « lycées », empty city, service state,
checkbox list of the staff-user form.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from admints import audit, audit_labels, formatting, i18n
from admints.models import AuditEntry
from admints.statistiques import figures
from admints.teleservices.catalogue import ensure_etablissement_services

from . import factories
from .comptes_helpers import csrf_of

NNBSP = "\u202f"


# ------------------------------------------------------------------ one formatting module

def test_r_a11y_1_dates_and_times_in_paris():
    # Stored timestamps are naive UTC: 14:35 UTC in December is 15:35 in Paris, 10:00 UTC in
    # July 12:00; a date stays as it is; microseconds never show.
    assert formatting.format_datetime(dt.datetime(2026, 12, 2, 14, 35, 22, 902612)) == \
        "02/12/2026 15:35"
    assert formatting.format_datetime(dt.datetime(2026, 7, 1, 10, 0)) == "01/07/2026 12:00"
    assert formatting.format_datetime(dt.datetime(2026, 12, 31, 23, 30)) == "01/01/2027 00:30"
    assert formatting.format_date(dt.datetime(2026, 12, 31, 23, 30)) == "01/01/2027"
    assert formatting.format_date(dt.date(2024, 9, 2)) == "02/09/2024"
    assert formatting.format_datetime(None) == formatting.format_date(None) == ""


def test_r_a11y_1_numbers_money_percent_school_year():
    assert formatting.format_number(1703) == f"1{NNBSP}703"
    assert formatting.format_number(1129000) == f"1{NNBSP}129{NNBSP}000"
    assert formatting.format_number(999) == "999"
    assert formatting.format_number(15.5, decimals=2) == "15,50"
    assert formatting.format_money(15.5) == f"15,50{NNBSP}€"
    assert formatting.format_money(1200.5) == f"1{NNBSP}200,50{NNBSP}€"
    assert formatting.format_percent(44.6428) == f"44,64{NNBSP}%"
    assert formatting.format_percent(100.0) == f"100{NNBSP}%"
    assert formatting.format_percent(None) == "—"
    assert formatting.school_year(2026) == "2026/2027"
    count = formatting.GroupedCount(1129)
    assert str(count) == f"1{NNBSP}129" and count // 50 == 22 and count > 1000


def test_r_a11y_1_whole_numbers_fast_path_writes_what_babel_writes():
    """Counts skip Babel's pattern machinery (list pages): the text must stay Babel's."""
    from babel.numbers import format_decimal

    for value in (0, 7, 999, 1000, 1703, 20000, 999_999, 1_000_500, 12_345_678_901):
        expected = format_decimal(value, locale="fr_FR").replace("\u00a0", formatting.NNBSP)
        assert formatting.format_number(value) == expected
    assert formatting.format_number(-1703) == format_decimal(
        -1703, locale="fr_FR").replace("\u00a0", formatting.NNBSP)


def test_r_a11y_1_one_module_registered_as_jinja_filters(app):
    for name, fn in formatting.FILTERS.items():
        assert app.jinja_env.filters[name] is fn
    # The older import place gives the very same functions.
    assert i18n.format_date is formatting.format_date
    template = app.jinja_env.from_string(
        "{{ n|nombre }} · {{ m|euros }} · {{ at|datetime_fr }} · "
        "Année scolaire {{ y|annee_scolaire }}")
    assert template.render(n=1703, m=15.5, at=dt.datetime(2026, 12, 2, 14, 35), y=2026) == (
        f"1{NNBSP}703 · 15,50{NNBSP}€ · 02/12/2026 15:35 · Année scolaire 2026/2027")


# ------------------------------------------------------------------ Flask-Admin's wording

def test_r_a11y_1_own_catalogue_compiled_from_its_source():
    """`make translations` was run: the committed .mo holds exactly the .po's messages."""
    folder = i18n.TRANSLATIONS / "fr" / "LC_MESSAGES"
    with open(folder / "admin.po", "rb") as po, open(folder / "admin.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    def messages(catalog):
        def flat(value):
            return tuple(value) if isinstance(value, list | tuple) else (value,)

        return {flat(m.id): flat(m.string) for m in catalog if m.id}

    assert messages(source) == messages(compiled) and len(messages(source)) > 40


def test_r_a11y_1_flask_admin_messages_in_proper_french(app):
    from flask_admin.babel import gettext, ngettext

    with app.test_request_context("/"):
        assert gettext("Record was successfully saved.") == "Modifications enregistrées."
        assert gettext("Failed to create record.") == "L'élément n'a pas été créé."
        assert ngettext("Record was successfully deleted.",
                        "%(count)s records were successfully deleted.", 1) == "Élément supprimé."
        assert ngettext("20 item", "20 items", 20) == "20 lignes"
        assert gettext("Export") == "Exporter"
        # Flask-Admin's own translations still serve the messages we do not correct.
        assert gettext("Add Filter") == "Ajouter un filtre"


def test_r_a11y_1_shell_in_french_with_the_establishment_outside_the_menu(client, auth, etab):
    auth.login("chef.0999001a")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'title="Menu">Menu</button>' in html and "Toggle" not in html
    # The establishment's name comes before the collapsing part of the menu: it stays
    # visible on a phone, where that part is folded.
    assert html.index('data-testid="etablissement"') < html.index('id="menu-admints"')
    assert "Année scolaire 2026/2027" in html
    assert 'href="/favicon.ico"' in html


def test_r_a11y_1_lists_say_lignes_and_group_their_count(client, auth, db, etab):
    db.session.add_all([AuditEntry(etablissement_id=etab.id, action="connexion",
                                   login="chef.0999001a", at=dt.datetime(2026, 11, 2, 8, 0))
                        for _ in range(1005)])
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get("/journal/").get_data(as_text=True)
    assert re.search(r"Liste \(1\u202f00\d\)", html)
    assert "items" not in html and ">Export<" not in html and "Exporter" in html
    # issue 13: the page size is a labelled select « Lignes par page » (50, 100…)
    assert '<label class="fr-label" for="lignes-par-page">Lignes par page</label>' in html
    assert '<option value="50" selected>50</option>' in html and '<option value="100">' in html


# ------------------------------------------------------------------ the Journal in words

def test_r_sec_3_action_codes_in_words():
    assert audit_labels.action_label("responsable.notifier") == "Notification de responsables"
    assert audit_labels.action_label("eleve.reinitialiser") == \
        "Réinitialisation des mots de passe d'élèves"
    assert audit_labels.action_label("lien_utile.creation") == "Création : lien utile"
    assert audit_labels.action_label("academie.tipi_regie.suppression") == \
        "Suppression : régie TIPI (liste académique)"
    assert audit_labels.action_label("parametre.message_accueil") == \
        "Paramétrage : message d'accueil"
    assert audit_labels.action_label("connexion") == "Connexion"
    assert audit_labels.action_label("inconnu.quelque_chose") == "inconnu.quelque_chose"


def test_r_sec_3_every_literal_action_code_has_a_label():
    """Every `audit.record("…")` of the code base with a literal code reads in words."""
    import ast
    from pathlib import Path

    root = Path(audit.__file__).parent
    codes = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                codes.add(node.args[0].value)
    assert len(codes) > 30
    assert not [c for c in codes if audit_labels.action_label(c) == c], codes


def test_r_sec_3_before_after_as_a_readable_list():
    stored = audit.short({"active_le": "2026-09-01", "actif": True, "droits": ["eleves"],
                          "nom": None})
    assert audit_labels.readable(stored) == [  # audit.short sorts the keys
        ("actif", "oui"), ("activé le", "01/09/2026"), ("menus accordés", "eleves"),
        ("nom", "—")]
    assert audit_labels.readable("texte libre, pas du JSON") == [
        ("", "texte libre, pas du JSON")]
    assert audit_labels.readable(None) == []


def test_r_sec_3_journal_shows_words_paris_time_and_no_json(client, auth, db, etab):
    audit.record("responsable.notifier", etablissement_id=etab.id, login="chef.0999001a",
                 target="3 compte(s)", before={"etat": "non_notifie"},
                 after={"mode": "papier", "actif": False})
    entry = db.session.scalar(db.select(AuditEntry))
    entry.at = dt.datetime(2026, 12, 2, 14, 35, 22, 902612)
    db.session.commit()
    auth.login("chef.0999001a")
    for url in ("/journal/", f"/journal/details/?id={entry.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "Notification de responsables" in html, url
        assert "02/12/2026 15:35" in html and "2026-12-02 14:35" not in html, url
        assert "<strong>mode</strong> : papier" in html and "<strong>actif</strong> : non" in html
        assert '{"mode"' not in html and "{&#34;mode" not in html, url


def test_r_sec_3_journal_day_filter_in_french_and_paris_days(app, client, auth, db, etab):
    # 23:30 UTC on 1 December is 00:30 on 2 December in Paris.
    for target, at in (("CIBLE-TARD", dt.datetime(2026, 12, 1, 23, 30)),
                       ("CIBLE-VEILLE", dt.datetime(2026, 12, 1, 22, 30))):
        db.session.add(AuditEntry(etablissement_id=etab.id, action="connexion", target=target,
                                  login="chef.0999001a", at=at))
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "journal")
    key = next(k for k, (_i, flt) in view._filter_args.items() if str(flt.name) == "Date")
    auth.login("chef.0999001a")
    html = client.get("/journal/", query_string={f"flt0_{key}": "02/12/2026"}).get_data(
        as_text=True)
    assert "CIBLE-TARD" in html and "CIBLE-VEILLE" not in html
    html = client.get("/journal/", query_string={f"flt0_{key}": "01/12/2026 au 02/12/2026"}
                      ).get_data(as_text=True)
    assert "CIBLE-TARD" in html and "CIBLE-VEILLE" in html
    for bad in ("2026-12-02", "02/12/2026 au 01/12/2026", "31/02/2026", "x" * 300):
        html = client.get("/journal/", query_string={f"flt0_{key}": bad}).get_data(as_text=True)
        assert "Valeur de filtre invalide" in html, bad
    # No English date picker: the filter is a plain text field (no picker type), its label
    # saying the French format (issue 13: the server-rendered filter form).
    assert [f["type"] for f in view._get_filter_groups()["Date"]] == [None]
    date_row = re.search(r'<legend[^>]*>Date</legend>(.*?)</fieldset>', html, re.S).group(1)
    assert re.search(r'<label class="fr-label" for="f\d+-val">Entre \(JJ/MM/AAAA au JJ/MM/AAAA\)'
                     r'</label>\s*<input class="fr-input" type="text"', date_row)


# ------------------------------------------------------------------ Plotly

def test_r_sta_3_plotly_toolbar_french_without_cloud():
    figure = figures.bar(["septembre 2026"], [1703], "Accès par mois")
    config = figure["config"]
    assert config["displaylogo"] is False
    assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
    buttons = [b for group in config["modeBarButtons"] for b in group]
    assert buttons == ["toImage", "resetScale2d"]
    assert config["locale"] == "fr"
    dictionary = config["locales"]["fr"]["dictionary"]
    assert dictionary["Download plot as a png"].startswith("Télécharger")
    assert config["locales"]["fr"]["format"]["thousands"] == NNBSP
    assert figure["layout"]["separators"] == "," + NNBSP
    assert "%{y:,d}" in figure["data"][0]["hovertemplate"]
    stacked = figures.stacked(["6A"], [("notifies", "Notifiés", [1200])], "Comptes")
    assert stacked["config"] is config


# ------------------------------------------------------------------ small defects (point 11)

def test_r_sta_1_csv_content_type_has_one_charset(client, auth, etab):
    auth.login("chef.0999001a")
    for url in ("/statistiques/acces/csv/mois", "/statistiques/eleves/csv/structure"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url


def test_r_a11y_1_favicon_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon" and response.data[:4] == b"\x00\x00\x01\x00"


def test_r_srv_2_mandatory_services_say_lycees_with_accent(client, auth, db, etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    ensure_etablissement_services(etab)
    db.session.commit()
    auth.login("academie.demo")
    html = client.get("/academie/obligatoires/").get_data(as_text=True)
    assert "pour les lycées" in html and "lycees" not in html


def test_r_a11y_1_home_skips_an_empty_city(client, auth, db, etab):
    etab.ville = ""
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get("/").get_data(as_text=True)
    assert "UAI 0999001A · Année scolaire 2026/2027" in html and "· ·" not in html


def test_r_srv_2_service_state_is_a_badge_and_one_clear_button(client, auth, db, etab):
    ensure_etablissement_services(etab)
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get("/services/ouverture/").get_data(as_text=True)
    row = re.search(r'<tr data-service="vie_scolaire">.*?</tr>', html, re.S).group(0)
    state = re.search(r'data-testid="etat-vie_scolaire">(\w+)<', row).group(1)
    assert state in ("Ouvert", "Fermé")
    assert "disabled" not in row
    wanted = "Fermer le service" if state == "Ouvert" else "Ouvrir le service"
    assert wanted in row


def test_r_a11y_1_staff_form_checkboxes_are_a_labelled_group(client, auth, db, etab):
    """Issue 12 point 11, issue 13: the delegate's menus are a DSFR fieldset of checkbox groups
    (legend = the field's label, one <label> per box), not a bare list that overflowed onto the
    password field below."""
    auth.login("chef.0999001a")
    html = client.get("/utilisateurs-etablissement/new/").get_data(as_text=True)
    group = re.search(r'<fieldset[^>]*id="droits".*?</fieldset>', html, re.S).group(0)
    assert "Menus accordés (délégué)" in re.search(r"<legend.*?</legend>", group, re.S).group(0)
    boxes = re.findall(r'<input[^>]*id="(droits-\d+)"[^>]*type="checkbox"', group)
    assert boxes and group.count("fr-checkbox-group") == len(boxes)
    for box in boxes:
        assert f'<label class="fr-label" for="{box}">' in group


@pytest.mark.parametrize("url, method", [("/logout", "get"), ("/nexiste-pas", "get")])
def test_r_a11y_1_error_pages_in_french(client, auth, etab, url, method):
    auth.login("chef.0999001a")
    response = getattr(client, method)(url)
    html = response.get_data(as_text=True)
    assert response.status_code in (404, 405)
    assert '<html lang="fr">' in html
    assert not re.search(r"Method Not Allowed|Not Found|The requested URL", html)


def test_r_a11y_1_csrf_helper_still_works(client, auth, etab):
    """The pages keep their CSRF token where the shell changed (a sanity check)."""
    auth.login("chef.0999001a")
    assert csrf_of(client, "/parametrage/liens/new/")
