"""R-SEC-5: every form of the app posted with hostile values — huge numbers, negative ids,
markup, impossible dates, 100,000 characters — as the head (the académie administrator for
the académie screens). Each POST is refused with a French message or status, never a 500,
and changes no row (`db_snapshot`). The fields posted are the ones the form's page shows,
plus the names the views read."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import inspect as sa_inspect

from admints.views.base import ScopedModelView
from tests.factories import PASSWORD

from .support import (
    HUGE,
    MARKUP,
    admin_views,
    assert_refused,
    collection_app,
    form_fields,
    who_for,
)

APP = collection_app()
VALUES = (HUGE[0], HUGE[1], "-1", "2026-02-30", "9999-12-31", "0000-00-00", MARKUP,
          "x" * 100_000)
# What a form may rightly accept as it is: a welcome message, a letter, a label or a person's
# name may read « -1 » or « 2026-02-30 » (a letter or a name is plain text, escaped wherever
# shown: « <script> » is printed as typed), a password anything long enough, and a TIPI client
# number has up to 20 digits. 100,000 characters are refused everywhere.
ACCEPTED = {"/parametrage/message/": VALUES[:6],
            "/parametrage/courriers/modifier/<key>": VALUES[:7],
            "//utilisateurs/edit/": VALUES[:7], "//utilisateurs-etablissement/edit/": VALUES[:7],
            "/academie/services/new/": ("-1",),
            "/academie/tipi/new/": HUGE, "/academie/tipi/edit/": HUGE}
# Names the custom views read from request.form (the pages may not show all of them).
READ_NAMES = ("id", "date_id", "mef_id", "division_id", "date", "date_action", "teleservice_id",
              "ouvert", "ent_id", "url", "type", "email", "actif", "numero", "montant",
              "confirmer", "message", "texte", "sens", "codes", "mode", "etablissement_id",
              "confirme", "sujet", "select_all", "rowid")
SKIP = {"auth.logout", "auth.login", "static", "admin.static"}
OPS = ("renotifier", "renotifier_reinit", "nouveau")


def _post_rules():
    out = []
    for rule in APP.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in SKIP:
            continue
        if rule.rule.endswith(("/action/", "/delete/", "/ajax/update/")):
            continue  # posted with hostile ids by test_hostile_urls
        out.append(pytest.param(rule.rule, rule.endpoint, id=rule.rule))
    return out


def _row_id(app, db, endpoint: str) -> str | None:
    view = next((v for v in admin_views(app) if endpoint.startswith(v.endpoint + ".")), None)
    if not isinstance(view, ScopedModelView):
        return None
    # The last row: for the staff screens, a user they may edit (not the head).
    pk = sa_inspect(view.model).primary_key[0]
    row = db.session.scalars(db.select(view.model).order_by(pk.desc())).first()
    return str(view.get_pk_value(row)) if row is not None else None


def _urls(app, db, rule: str, endpoint: str, world) -> list[str]:
    # Views with a relative url are joined to the admin's « / » as « //journal/ ».
    url = re.sub(r"^/+", "/", rule)
    url = url.replace("<key>", "entete").replace("<int:id>", str(world["eleve"].id))
    url = url.replace("<int:job_id>", str(world["job"].id))
    if endpoint.startswith("responsables."):
        url = url.replace(f"/{world['eleve'].id}/", f"/{world['lien'].id}/")
    if rule.endswith("/edit/"):
        pk = _row_id(app, db, endpoint)
        return [f"{url}?id={pk}"] if pk else []
    if "<op>" in url:
        return [url.replace("<op>", op) for op in OPS]
    return [url]


@pytest.mark.parametrize("rule, endpoint", _post_rules())
def test_r_sec_5_hostile_values_in_every_form(app, db, world, as_user, snapshot, rule,
                                              endpoint):
    session = as_user(who_for(app, endpoint))
    urls = _urls(app, db, rule, endpoint, world)
    if not urls:
        pytest.skip(f"{rule}: no row to edit")
    changed = []
    for url in urls:
        page = session.get(url)
        html = page.get_data().decode("utf-8", "replace") if page.status_code == 200 else ""
        names = form_fields(html) | set(READ_NAMES)
        for value in VALUES:
            snapshot.take()
            response = session.post(url, data={name: value for name in names})
            assert_refused(response, f"POST {url} {value[:20]!r}")
            if value in ACCEPTED.get(rule, ()):
                continue
            try:
                snapshot.unchanged()
            except AssertionError:
                changed.append((url, value[:20]))
    assert not changed, changed


@pytest.mark.parametrize("path", ["/services/notes/dates/ajouter",
                                  "/services/notes/dates/supprimer"])
def test_r_sec_5_publication_dates_redirect_to_own_page_not_referer(world, as_user, snapshot,
                                                                     path):
    """The publication-date screens used to redirect to the Referer header (an external URL
    worked): they go back to their own list, keeping its filters only when local."""
    session = as_user("chef")
    snapshot.take()
    for referer in ("https://evil.example/phish", "//evil.example/", "javascript:alert(1)",
                    "/services/notes/dates/?flt0_0=1"):
        response = session.post(path, data={"date_id": HUGE[1], "mef_id": "x",
                                            "division_id": "-1", "date": "2026-02-30"},
                                headers={"Referer": referer})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert "evil" not in location and "javascript" not in location, location
        assert location.startswith("/services/notes/dates/"), location
    snapshot.unchanged(path)


def test_r_sec_5_publication_date_added_goes_back_to_the_list(app, world, as_user):
    session = as_user("chef")
    response = session.post("/services/notes/dates/ajouter", data={
        "mef_id": world["mef"].id, "division_id": world["division"].id, "date": "2027-01-15",
        "return_url": "https://evil.example/"}, headers={"Referer": "https://evil.example/"})
    assert response.status_code == 302
    with app.test_request_context():
        assert response.headers["Location"] == url_for("services_dates_publication.index_view")
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert "15/01/2027" in page
    # The list's own URL (with its filters) is kept; any other is not.
    for url, expected in (("/services/notes/dates/?flt0_0=1", "/services/notes/dates/?flt0_0=1"),
                          ("https://evil.example/", "/services/notes/dates/"),
                          ("/services/notes/dates//evil.example", "/services/notes/dates/"),
                          ("/eleves/", "/services/notes/dates/")):
        response = session.post("/services/notes/dates/supprimer",
                                data={"date_id": "abc", "url": url})
        assert response.headers["Location"] == expected, url


@pytest.mark.parametrize("payload, expected", [
    ("<b></b>" * 150_000, 400),  # 1 MB of markup
    ("<b></b>" * 60_000, 400),  # 420 KB of empty tags: no text, but no place to store it
    ("<p>" + "a" * 2001 + "</p>", 400),
    ("<script>alert(1)</script>", 400),
])
def test_r_sec_5_welcome_message_size_is_bounded_markup_included(db, world, as_user, snapshot,
                                                                 payload, expected):
    session = as_user("chef")
    snapshot.take()
    response = session.post("/parametrage/message/", data={"message": payload})
    assert_refused(response, "message d'accueil", allow_ok=False)
    assert response.status_code == expected
    body = response.get_data(as_text=True)
    assert re.search(r"limité|interdit|trop volumineux", body), body[:500]
    assert len(body) < 300_000, "the refused message is echoed whole"
    snapshot.unchanged("message d'accueil")


def test_r_sec_5_welcome_message_of_normal_size_is_saved(db, world, as_user):
    session = as_user("chef")
    response = session.post("/parametrage/message/",
                            data={"message": "<p><b>Bienvenue</b> au collège</p>"})
    assert response.status_code == 302


def test_r_sec_5_switcher_with_hostile_ids(world, as_user, snapshot):
    """R-SEC-1 / R-SEC-5: the académie switcher refuses ids that cannot exist."""
    session = as_user("academie")
    snapshot.take()
    for value in (*HUGE, "-1", "abc", MARKUP):
        response = session.post("/etablissement", data={"etablissement_id": value})
        assert response.status_code == 302
        assert "inaccessible" in session.get("/").get_data(as_text=True)
    snapshot.unchanged("switcher")


def test_r_sec_5_form_crawl_covers_the_forms():
    assert len(_post_rules()) >= 20


def test_r_sec_5_hostile_login(world, client, auth, snapshot):
    """The login form with 100,000 characters, markup, a NUL, and a `next` to another site."""
    snapshot.take()
    token = auth.csrf("/login")
    for login, password in (("x" * 100_000, "y" * 100_000), (MARKUP, HUGE[1]),
                            ("chef.0999001a\x00", "z")):
        response = client.post("/login", data={"login": login, "password": password,
                                               "csrf_token": token})
        assert_refused(response, f"login {login[:20]!r}", allow_ok=True)
        assert response.status_code in (200, 400)
        body = response.get_data(as_text=True)
        assert "incorrect" in body or "caractère nul" in body
    snapshot.unchanged("login")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                   "javascript:alert(1)"):
        response = client.post(f"/login?next={target}", data={
            "login": "chef.0999001a", "password": PASSWORD,
            "csrf_token": auth.csrf("/login")})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        auth.logout()


@pytest.mark.parametrize("path", ["/static/../admints/config.py", "/static/%2e%2e/config.py",
                                  "/static/admints.css%00.png", "/static/admin/../../app.py",
                                  "/vendor/plotly-..%2f..%2fapp.min.js"])
def test_r_sec_5_hostile_static_paths(world, client, path):
    response = client.get(path)
    assert_refused(response, path, allow_ok=False)
    assert response.status_code in (400, 404)
