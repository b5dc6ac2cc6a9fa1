"""Life given to a freshly imported demo establishment (R-DAT-2), so that every screen and every
statistic has something to show: a spread of account states with their dates and modes,
continuity flags, account emails, last logins, visits of the portal per service and MEF over the
school year up to `today`, and a few Notes assessments and publication dates.

All with bulk statements (executemany), deterministic for a seed except the temporary passwords of
notified accounts (drawn with `secrets`, stored encrypted). Used accounts share one password hash
computed once by the caller: argon2 for thousands of accounts would take minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from ..comptes.identifiers import generate_temporary_password
from ..extensions import db
from ..models import (
    AccesTeleservice,
    Compte,
    DatePublication,
    Division,
    Eleve,
    EtatCompte,
    Evaluation,
    Responsable,
    ResponsableEleve,
    Teleservice,
    TeleserviceEtablissement,
)
from ..secrets_store import encrypt_secret

RENTREE = dt.date(2026, 9, 1)
LAST_YEAR = (dt.date(2025, 9, 4), dt.date(2026, 6, 30))
# Share of accounts per state (élève accounts have no « en cours d'activation »).
ELEVE_STATES = ((EtatCompte.NON_NOTIFIE, 0.18), (EtatCompte.NOTIFIE, 0.34),
                (EtatCompte.UTILISE, 0.48))
RESP_STATES = ((EtatCompte.NON_NOTIFIE, 0.14), (EtatCompte.NOTIFIE, 0.30),
               (EtatCompte.EN_COURS_ACTIVATION, 0.10), (EtatCompte.UTILISE, 0.46))
# Relative popularity of the services on the portal.
SERVICE_WEIGHTS = {"notes": 40, "vie_scolaire": 28, "fiche_renseignements": 8, "lsu": 6,
                   "lsl": 6, "bourses": 4, "inscription": 3, "paiement": 4, "folios": 2}
MATIERES = ("Mathématiques", "Français", "Histoire-géographie", "Anglais LV1",
            "Sciences de la vie et de la Terre", "Physique-chimie")
CONTROLES = ("Contrôle", "Devoir maison", "Interrogation écrite", "Évaluation de compétences")
ECHEANCES = (dt.date(2026, 10, 16), dt.date(2026, 12, 18), dt.date(2027, 3, 26))
EMAIL_DOMAINS = ("gmail.com", "orange.fr", "free.fr", "laposte.net", "outlook.fr")


@dataclass
class ActivityCounts:
    comptes: dict[str, dict[str, int]]
    continuite: int
    acces: int
    evaluations: int
    dates_publication: int


# rng.random() is one C call; randrange() is several Python-level ones, and this runs for every
# visit of every account (tens of thousands per establishment).
def _between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return end  # never after `end` (today), even when run before the rentrée
    return start + dt.timedelta(days=int(rng.random() * ((end - start).days + 1)))


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of that day between 07:00 and 23:00."""
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(
        minutes=420 + int(rng.random() * 960))


def _pick(rng: random.Random, table) -> EtatCompte:
    r, acc = rng.random(), 0.0
    for etat, share in table:
        acc += share
        if r < acc:
            return etat
    return table[-1][0]


def _valid_email(address: str | None) -> bool:
    if not address or address.count("@") != 1 or " " in address:
        return False
    local, domain = address.split("@")
    return bool(local) and "." in domain and ".." not in domain and not domain.endswith(".")


def animate(etab_id: int, *, seed_key: str, today: dt.date, used_hash: str,
            first_level_mef_ids: set[int]) -> ActivityCounts:
    rng = random.Random(f"{seed_key}:activity")
    ex = db.session.execute
    eleves = ex(select(Eleve.compte_id, Eleve.mef_id, Eleve.prenom, Eleve.nom)
                .where(Eleve.etablissement_id == etab_id, Eleve.compte_id.is_not(None))
                .order_by(Eleve.compte_id)).all()
    liens = ex(select(ResponsableEleve.compte_id, Eleve.mef_id, Responsable.email,
                      Responsable.prenom, Responsable.nom)
               .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
               .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)
               .where(ResponsableEleve.etablissement_id == etab_id,
                      ResponsableEleve.compte_id.is_not(None))
               # The pupil breaks ties: a guardian's links share one compte_id and PostgreSQL
               # returns ties in no fixed order, which would change the draws (R-DAT-2).
               .order_by(ResponsableEleve.compte_id, Eleve.siecle_id)).all()
    # One guardian account may carry several children: keep the first MEF seen.
    resp: dict[int, tuple] = {}
    for row in liens:
        resp.setdefault(row[0], row)

    services = {code: sid for code, sid in ex(
        select(Teleservice.code, Teleservice.id)
        .join(TeleserviceEtablissement, TeleserviceEtablissement.teleservice_id == Teleservice.id)
        .where(TeleserviceEtablissement.etablissement_id == etab_id,
               TeleserviceEtablissement.ouvert.is_(True)))}
    codes = [c for c in SERVICE_WEIGHTS if c in services]
    weights = [SERVICE_WEIGHTS[c] for c in codes]

    updates: list[dict] = []
    visits: list[dict] = []
    counts: dict[str, dict[str, int]] = {"eleve": {}, "responsable": {}}
    continuite = 0
    start = min(RENTREE + dt.timedelta(days=3), today)
    for kind, rows, table, mean_visits in (
        ("eleve", [(r[0], r[1], None, r[2], r[3]) for r in eleves], ELEVE_STATES, 3),
        ("responsable", list(resp.values()), RESP_STATES, 6),
    ):
        for compte_id, mef_id, siecle_email, prenom, nom in rows:
            etat = _pick(rng, table)
            counts[kind][etat.value] = counts[kind].get(etat.value, 0) + 1
            row = {"id": compte_id, "etat": etat.value, "date_notification": None,
                   "mode_notification": None, "derniere_connexion": None,
                   "date_activation": None, "continuite": False, "email": None,
                   "email_valide": False, "mot_de_passe_hash": None}
            first_visit = None
            if etat in (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION):
                # Notification gave a temporary password (kept, encrypted, until validation).
                row["mot_de_passe_provisoire_chiffre"] = encrypt_secret(
                    generate_temporary_password())
            if etat == EtatCompte.NOTIFIE:
                notified = _between(rng, start, today)
                row.update(date_notification=_at(rng, notified),
                           mode_notification=_mode(rng, kind, siecle_email))
            elif etat == EtatCompte.EN_COURS_ACTIVATION:
                notified = _between(rng, start, today - dt.timedelta(days=1))
                login = min(today, notified + dt.timedelta(days=rng.randrange(1, 12)))
                row.update(date_notification=_at(rng, notified),
                           mode_notification=_mode(rng, kind, siecle_email),
                           derniere_connexion=_at(rng, login), mot_de_passe_hash=used_hash,
                           email=_account_email(rng, siecle_email, prenom, nom))
            elif etat == EtatCompte.UTILISE:
                # Continuity (R-ACC-9): pupils already here last year kept their used account.
                cont = mef_id not in first_level_mef_ids and rng.random() < 0.55
                if cont:
                    notified = _between(rng, *LAST_YEAR)
                    continuite += 1
                else:
                    notified = _between(rng, start, today - dt.timedelta(days=2))
                activated = min(today, notified + dt.timedelta(days=rng.randrange(0, 15)))
                first_visit = min(max(activated, RENTREE), today)
                last = _between(rng, first_visit + (today - first_visit) * 2 // 3, today)
                email = (_account_email(rng, siecle_email, prenom, nom)
                         if kind == "responsable" or rng.random() < 0.5 else None)
                row.update(date_notification=_at(rng, notified),
                           mode_notification=_mode(rng, kind, siecle_email),
                           date_activation=_at(rng, activated), derniere_connexion=_at(rng, last),
                           continuite=cont, mot_de_passe_hash=used_hash, email=email,
                           email_valide=bool(email) and (kind == "responsable"
                                                         or rng.random() < 0.7),
                           mot_de_passe_provisoire_chiffre=None)  # erased once activated
            updates.append(row)
            if first_visit and codes:
                n = max(0, int(rng.gauss(mean_visits, mean_visits / 2)))
                for code in rng.choices(codes, weights=weights, k=n):
                    visits.append({"etablissement_id": etab_id, "compte_id": compte_id,
                                   "teleservice_id": services[code], "mef_id": mef_id,
                                   "visited_at": _at(rng, _between(rng, first_visit, today))})
    _bulk_update_comptes(updates)
    if visits:  # Core executemany: no ORM bookkeeping for ~10 visits per pupil
        ex(insert(AccesTeleservice.__table__), visits)
    n_eval, n_dates = _notes(etab_id, rng, today)
    return ActivityCounts(counts, continuite, len(visits), n_eval, n_dates)


def _bulk_update_comptes(updates: list[dict]) -> None:
    """One executemany per set of columns (Core: the ORM bulk path is several times slower)."""
    table = Compte.__table__
    groups: dict[tuple, list[dict]] = {}
    for row in updates:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, rows in groups.items():
        cols = [k for k in keys if k != "id"]
        stmt = (update(table).where(table.c.id == bindparam("_id"))
                .values({c: bindparam(c) for c in cols}))
        db.session.execute(stmt, [{**{c: r[c] for c in cols}, "_id": r["id"]} for r in rows])


def _mode(rng: random.Random, kind: str, siecle_email: str | None) -> str:
    if kind == "responsable" and _valid_email(siecle_email) and rng.random() < 0.6:
        return "courriel"
    return "courrier"


def _account_email(rng: random.Random, siecle_email: str | None, prenom: str, nom: str) -> str:
    """The address typed at activation: the SIECLE one when it is valid, else a new one."""
    if _valid_email(siecle_email) and rng.random() < 0.8:
        return siecle_email
    from ..comptes.identifiers import normalise_part

    user = f"{normalise_part(prenom)}.{normalise_part(nom)}".strip(".") or "famille"
    return f"{user}{rng.randrange(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"


def _notes(etab_id: int, rng: random.Random, today: dt.date) -> tuple[int, int]:
    """A few assessments per division and the échéance dates per MEF × division (R-SRV-4)."""
    pairs = db.session.execute(
        select(Eleve.division_id, Eleve.mef_id).distinct()
        .where(Eleve.etablissement_id == etab_id, Eleve.division_id.is_not(None),
               Eleve.mef_id.is_not(None))
        .order_by(Eleve.division_id, Eleve.mef_id)).all()
    division_codes = dict(db.session.execute(
        select(Division.id, Division.code).where(Division.etablissement_id == etab_id)).all())
    evaluations, dates = [], []
    for division_id, mef_id in pairs:
        for echeance in ECHEANCES:
            dates.append({"etablissement_id": etab_id, "mef_id": mef_id,
                          "division_id": division_id, "date": echeance})
        for matiere in rng.sample(MATIERES, 3):
            controle = _between(rng, RENTREE + dt.timedelta(days=14), today)
            saisie = min(today, controle + dt.timedelta(days=rng.randrange(1, 8)))
            publication = saisie + dt.timedelta(days=rng.choice((0, 0, 1, 3, 7)))
            evaluations.append({
                "etablissement_id": etab_id, "mef_id": mef_id, "division_id": division_id,
                "matiere": matiere,
                "libelle": f"{rng.choice(CONTROLES)} – {division_codes.get(division_id, '')}",
                "date_controle": controle, "date_saisie": saisie,
                "date_publication": publication, "coefficient": rng.choice((1.0, 1.0, 2.0)),
                "bareme": 20})
    if dates:
        db.session.execute(insert(DatePublication.__table__), dates)
    if evaluations:
        db.session.execute(insert(Evaluation.__table__), evaluations)
    return len(evaluations), len(dates)
