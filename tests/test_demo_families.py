"""R-DAT-2 with R-POR-2: `admints demo` prints, beside the staff logins, a pupil's and a
guardian's logins (*Utilisé*, the demo password); they log in on /scolarite/connexion and their
Notes page shows at least one assessment; `--if-empty` prints them again."""

from __future__ import annotations

import re

from sqlalchemy import select

from admints.models import Compte, EtatCompte, KindCompte

from .portail_helpers import Family, body, location

UAI = "0999997X"
PW = "Demo-Orage-Tilleul-17"


def _family_logins(output: str) -> list[str]:
    block = output.split("Portail des familles", 1)[1]
    return re.findall(r"^  (\S+)$", block, re.M)


def test_r_dat_2_r_por_2_printed_family_logins_open_the_notes_page(app, runner, db):
    result = runner.invoke(args=["admints", "demo", "--uai", UAI, "--eleves", "80",
                                 "--password", PW])
    assert result.exit_code == 0, result.output
    assert "chef.0999997x" in result.output
    assert "http://127.0.0.1:5000/scolarite/" in result.output
    logins = _family_logins(result.output)
    assert len(logins) == 2
    comptes = [db.session.scalar(select(Compte).where(Compte.identifiant == lg)) for lg in logins]
    assert [c.kind for c in comptes] == [KindCompte.ELEVE, KindCompte.RESPONSABLE]
    assert all(c.etat == EtatCompte.UTILISE and c.mot_de_passe_hash.startswith("$argon2id$")
               for c in comptes)
    for login in logins:
        family = Family(app.test_client())
        response = family.login(login, PW)
        assert location(response).endswith("/scolarite/"), (login, location(response))
        assert 'href="/scolarite/notes"' in body(family.home())
        notes = family.client.get("/scolarite/notes")
        assert notes.status_code == 200, login
        assert 'data-testid="evaluations"' in body(notes), login
        assert body(notes).count("<tr>") >= 2  # header + at least one assessment

    again = runner.invoke(args=["admints", "demo", "--if-empty", "--uai", UAI,
                                "--password", PW])
    assert again.exit_code == 0 and "rien n'est chargé" in again.output
    assert _family_logins(again.output) == logins
