"""The portal's forms (Flask-WTF: every one carries its CSRF token) and the parsing of what
families type: dates as JJ/MM/AAAA, bounded lengths, French messages only."""

from __future__ import annotations

import datetime as dt
import re

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...academie.password_policy import MAX_LENGTH, MIN_LENGTH
from ...portail.selfhelp import DEMANDES

_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

# The password rule (admints.academie.password_policy), as the pages state it.
PASSWORD_RULE = (
    f"Au moins {MIN_LENGTH} caractères ({MAX_LENGTH} au plus) ; chiffres et caractères "
    "spéciaux permis, mais pas obligatoires.",
    "Refusé s'il est courant ou facile à deviner : mot usuel, suite de touches ou de chiffres, "
    "votre identifiant, votre nom ou celui de l'établissement.",
    "Conseil : choisissez plusieurs mots sans rapport entre eux, séparés par des tirets.",
)


def parse_date_fr(text: str | None) -> dt.date:
    """JJ/MM/AAAA → date; ValueError with a French message."""
    match = _DATE.fullmatch((text or "").strip())
    if not match:
        raise ValueError("Saisissez la date au format JJ/MM/AAAA (par exemple 05/09/2013).")
    day, month, year = map(int, match.groups())
    try:
        value = dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError("Cette date n'existe pas : vérifiez le jour et le mois.") from exc
    if not 1900 <= year <= 2100:
        raise ValueError("Cette date n'est pas plausible : vérifiez l'année.")
    return value


def _password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired("Saisissez le mot de passe."),
        Length(max=MAX_LENGTH, message=f"Le mot de passe doit comporter au plus {MAX_LENGTH} "
                                       "caractères.")])


class LoginForm(FlaskForm):
    login = StringField("Identifiant", validators=[DataRequired("Saisissez votre identifiant.")])
    password = PasswordField("Mot de passe",
                             validators=[DataRequired("Saisissez votre mot de passe.")])


class FirstLoginForm(FlaskForm):
    date_naissance = StringField("Date de naissance",
                                 validators=[DataRequired("Saisissez la date de naissance.")])
    nouveau_mot_de_passe = _password("Nouveau mot de passe")
    confirmation = _password("Confirmation du nouveau mot de passe")
    courriel = StringField("Adresse de messagerie", validators=[
        Length(max=254, message="L'adresse de messagerie est trop longue.")])
    birth_date: dt.date | None = None

    def validate_date_naissance(self, field) -> None:
        try:
            self.birth_date = parse_date_fr(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class NewPasswordForm(FlaskForm):
    nouveau_mot_de_passe = _password("Nouveau mot de passe")
    confirmation = _password("Confirmation du nouveau mot de passe")


class ForgottenForm(FlaskForm):
    courriel = StringField("Adresse de messagerie", validators=[
        DataRequired("Saisissez votre adresse de messagerie."),
        Length(max=254, message="L'adresse de messagerie est trop longue.")])
    # Checked by `selfhelp.request_help` (WTForms' own message is English).
    demande = RadioField("Vous avez oublié", choices=list(DEMANDES.items()),
                         validate_choice=False)
