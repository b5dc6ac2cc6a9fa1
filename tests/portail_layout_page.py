"""A throw-away page on the families' portal base layout, for the layout tests only: every block
filled, every form macro used (one field in error), one flash message of each kind."""

from __future__ import annotations

from flask import flash, render_template_string
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

URL = "/essai-gabarit-portail"

PAGE = """{% extends "portail/base.html" %}
{% import "portail/_macros.html" as ui %}
{% block title %}Essai du gabarit{% endblock %}
{% block h1 %}Première connexion{% endblock %}
{% block header_tools %}
<li><a class="fr-btn fr-btn--account" href="#">Mon compte</a></li>
<li><a class="fr-btn" href="#">Se déconnecter</a></li>
{% endblock %}
{% block navigation %}
<li class="fr-nav__item"><a class="fr-nav__link" href="#" aria-current="page">Accueil</a></li>
<li class="fr-nav__item"><a class="fr-nav__link" href="#">Notes</a></li>
{% endblock %}
{% block footer_links %}
<li class="fr-footer__bottom-item">
  <a class="fr-footer__bottom-link" href="#">Accessibilité : non conforme</a>
</li>
{% endblock %}
{% block content %}
<p>Tous les champs sont obligatoires.</p>
<form method="post" novalidate>
  {{ ui.input_group("date_naissance", "Date de naissance", value="31/02/2012",
                    hint="Format attendu : JJ/MM/AAAA",
                    errors=["La date de naissance ne correspond pas."], autocomplete="bday",
                    inputmode="numeric", required=True) }}
  {{ ui.field(form.courriel, hint="Exemple : nom@domaine.fr", autocomplete="email") }}
  {{ ui.field(form.identifiant, autocomplete="username") }}
  {{ ui.password_field(form.nouveau_mot_de_passe, autocomplete="new-password",
                       hint_lines=["12 caractères minimum, dont une majuscule et un chiffre."]) }}
  {{ ui.button("Valider") }} {{ ui.button("Annuler", kind="secondary", type="button") }}
</form>
{{ ui.alert("Un courriel vous a été envoyé.", kind="info", title="Vérifiez votre messagerie") }}
{% endblock %}
"""


class _Form(FlaskForm):
    class Meta:
        csrf = False

    courriel = EmailField("Adresse électronique", validators=[DataRequired(
        message="Saisissez votre adresse électronique.")])
    identifiant = StringField("Identifiant", validators=[DataRequired()])
    nouveau_mot_de_passe = PasswordField("Nouveau mot de passe", validators=[DataRequired(
        message="Choisissez un mot de passe.")])


def register(app) -> None:
    """Add the page to a test's app (before its first request)."""

    def page():
        form = _Form(data={"identifiant": "jdupont12"})
        form.courriel.errors = ["Saisissez votre adresse électronique."]
        form.nouveau_mot_de_passe.errors = ["Choisissez un mot de passe."]
        flash("Votre compte est activé.", "success")
        flash("Identifiant ou mot de passe incorrect.", "error")
        flash("Votre session va expirer.", "warning")
        flash("Les notes sont publiées.", "info")
        return render_template_string(PAGE, form=form, etablissement_nom="Collège Victor-Hugo")

    app.add_url_rule(URL, "essai_gabarit_portail", page)
