"""The application factory, configuration and shell (issue 2)."""

from admints import create_app


def test_factory_builds_two_apps_independently(app):
    """A module-level Admin would break the second create_app() (a known Flask-Admin trap)."""
    second = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                         "SECRET_KEY": "x", "DATA_KEYS": app.config["DATA_KEYS"]})
    assert second is not app
    assert "admin.index" in {r.endpoint for r in second.url_map.iter_rules()}


def test_environment_overrides_config(monkeypatch):
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:5/x")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_KEYS": "a" * 43 + "="})
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:5/x"


def test_r_sec_2_login_page_french_and_cookie_flags(client, etab, auth):
    """R-SEC-2: session cookie HttpOnly + SameSite=Lax; French login page."""
    page = client.get("/login").get_data(as_text=True)
    assert "Se connecter" in page
    response = auth.login("chef.0999001a")
    assert response.status_code == 302
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_home_shows_establishment_and_year(client, etab, auth):
    auth.login("chef.0999001a")
    page = client.get("/").get_data(as_text=True)
    assert "Collège Victor-Hugo" in page
    assert "Année scolaire 2026/2027" in page


def test_anonymous_is_sent_to_login(client, etab):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
