"""Sandboxed `${placeholder}` substitution of staff-edited letter texts (R-PAR-4)."""

from __future__ import annotations

import pytest

from admints.courriers import templating, wording
from admints.courriers.templating import PLACEHOLDERS, missing_required, render

INJECTIONS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(3) %}boucle{% endfor %}",
    "${__import__}",
    "${__class__}",
    "{0.__init__.__globals__}",
    "{identifiant.__class__}",
    "%(identifiant)s",
    "$identifiant",
    "$$",
    "${identifiant.__class__}",
    "${ identifiant }",
    "${IDENTIFIANT}",
    "${mot_de_passe",
    "$",
]


def test_r_par_4_allow_list_has_french_labels_for_every_field():
    for name in ("identifiant", "mot_de_passe", "url", "civilite", "nom", "prenom",
                 "eleve_nom", "eleve_prenom", "division", "etablissement", "ville", "date",
                 "chef"):
        assert name in PLACEHOLDERS
        assert PLACEHOLDERS[name] and PLACEHOLDERS[name][0].isupper()


def test_r_par_4_render_substitutes_allowed_fields():
    text = "Identifiant : ${identifiant} – ${prenom} ${nom}, le ${date}"
    out = render(text, {"identifiant": "zoe.martin", "prenom": "Zoë", "nom": "MARTIN",
                        "date": "28/11/2026"})
    assert out == "Identifiant : zoe.martin – Zoë MARTIN, le 28/11/2026"


@pytest.mark.parametrize("payload", INJECTIONS)
def test_r_par_4_template_injection_payloads_stay_plain_text(payload):
    fields = {"identifiant": "zoe.martin", "mot_de_passe": "3QMS5X2P"}
    out = render(f"avant {payload} après", fields)
    assert out == f"avant {payload} après"
    assert "zoe.martin" not in out and "3QMS5X2P" not in out
    assert "<class" not in out and "function" not in out


def test_r_par_4_unknown_field_stays_as_typed_and_is_reported():
    text = "Bonjour ${inconnu} ${nom}"
    assert render(text, {"nom": "MARTIN", "inconnu": "x"}) == "Bonjour ${inconnu} MARTIN"
    assert templating.unknown_placeholders(text) == ["${inconnu}"]
    assert templating.unknown_placeholders("${__import__}('os')") == ["${__import__}"]


def test_r_par_4_allowed_field_missing_from_values_stays_as_typed():
    assert render("${identifiant} ${division}", {"identifiant": "a.b"}) == "a.b ${division}"


def test_r_par_4_values_are_data_never_interpreted():
    fields = {"nom": "${mot_de_passe}", "prenom": "{{ 7*7 }}", "mot_de_passe": "SECRET12",
              "division": "<b>3A</b> & co", "ville": "L'Haÿ-les-Roses\nligne\t2"}
    out = render("${nom}|${prenom}|${division}|${ville}", fields)
    assert out == "${mot_de_passe}|{{ 7*7 }}|<b>3A</b> & co|L'Haÿ-les-Roses ligne 2"
    assert "SECRET12" not in out


def test_r_par_4_values_are_converted_to_text():
    assert render("${nom}/${prenom}", {"nom": None, "prenom": 42}) == "/42"


def test_r_par_4_objects_given_as_values_expose_nothing():
    class Hostile:
        secret = "fuite"

        def __str__(self):
            return "texte"

    assert render("${nom} ${nom.secret}", {"nom": Hostile()}) == "texte ${nom.secret}"


def test_r_par_4_missing_required_detects_body_without_identifier_or_password():
    required = wording.REQUIRED["responsable_nouveau"]
    assert required == ("identifiant", "mot_de_passe")
    assert missing_required(wording.RESPONSABLE_NOUVEAU, required) == []
    no_password = wording.RESPONSABLE_NOUVEAU.replace("${mot_de_passe}", "")
    assert missing_required(no_password, required) == ["mot_de_passe"]
    neither = no_password.replace("${identifiant}", "identifiant")
    assert missing_required(neither, required) == ["identifiant", "mot_de_passe"]
    # a malformed or bare form does not count as the field
    assert missing_required("$identifiant ${ mot_de_passe }", required) == [
        "identifiant", "mot_de_passe"]


def test_r_par_4_every_default_text_keeps_its_required_fields_and_known_fields_only():
    for key in wording.KEYS:
        text = wording.DEFAULTS[key]
        assert missing_required(text, wording.REQUIRED[key]) == [], key
        assert templating.unknown_placeholders(text) == [], key
    for key in ("responsable_continuite", "eleve_continuite"):
        assert "${mot_de_passe}" not in wording.DEFAULTS[key]


def test_r_par_4_split_matches_render():
    text = "A ${nom} ${inconnu} {{ x }} ${prenom}$"
    parts = templating.split(text)
    fields = {"nom": "N", "prenom": "P"}
    joined = "".join(p if isinstance(p, str) else fields[p[0]] for p in parts)
    assert joined == render(text, fields)
    assert templating.placeholders_in(text) == ["nom", "prenom"]
