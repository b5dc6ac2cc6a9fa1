"""Demo establishment (R-DAT-2): generate a realistic population, write it as SIECLE XML, load it
through the real SIECLE importer, then give it a life (account states, visits, Notes) and its
staff users.

So that every screen of « Gestion des services » and « Paramétrage » can be tried, the demo
académie also gets, once, its TIPI référentiel (a few régies, plus one régie per demo school:
the paiement confirmation step finds it) and its list of two ENT (the choice of the letter type);
the Notes service is set « à échéance » since the demo creates échéance dates.

`write_demo_xml(...)` only writes files; `load_demo(...)` adds and flushes in the caller's
transaction (the CLI commits once). The population lives in `population`, the XML in `siecle_files`,
the activity in `animation`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from .. import audit, clock
from ..academie.password_policy import check_password
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models import (
    ETAT_LABELS,
    Academie,
    Compte,
    EntAcademique,
    Etablissement,
    EtatCompte,
    LienUtile,
    Mef,
    Role,
    StaffUser,
    Teleservice,
    TipiRegie,
)
from ..secrets_store import hash_password
from ..teleservices import catalogue, notes
from . import animation, families, population, siecle_files

UAI_RE = re.compile(r"^\d{7}[A-Z]$")
TYPES = ("college", "lycee")
MAX_ELEVES = 20000
# Services a school of each type keeps closed (the livret of the other level, collège grants).
CLOSED_BY_TYPE = {"college": {"lsl"}, "lycee": {"lsu", "bourses"}}
_HASHES: dict[bytes, str] = {}
# The académie's TIPI référentiel outside the demo schools (6 digits; a school's own régie has
# the 7 digits of its UAI, so they never collide).
TIPI_ACADEMIE = (("100001", "Régie de recettes du rectorat – voyages et sorties scolaires"),
                 ("100002", "Régie de recettes – restauration scolaire intercommunale"))


@dataclass
class DemoReport:
    uai: str
    etablissement_id: int
    nom: str
    type: str
    academie: str
    seed: int
    eleves: int
    responsables: int
    comptes: dict[str, dict[str, int]]
    continuite: int
    acces: int
    evaluations: int
    dates_publication: int
    logins: list[str]
    logins_crees: list[str]
    # A pupil's and a guardian's accounts, *Utilisé* with the demo password (R-POR-2).
    familles: list[str] = field(default_factory=list)
    password: str | None = None  # only when generated, to be shown once
    tipi_numero: str | None = None  # the school's régie in the académie's TIPI référentiel
    notes_mode: str | None = None
    import_summary: dict = field(default_factory=dict)
    xml_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def as_dict(self) -> dict:
        return asdict(self)

    def lines_fr(self) -> list[str]:
        lines = [
            f"Établissement de démonstration {self.nom} ({self.uai}), académie {self.academie} :",
            f"  {self.eleves} élèves, {self.responsables} responsables, "
            f"{self.acces} accès aux téléservices, {self.evaluations} évaluations.",
        ]
        for kind, label in (("eleve", "Comptes élèves"), ("responsable", "Comptes responsables")):
            states = ", ".join(f"{ETAT_LABELS[e]} : {self.comptes.get(kind, {}).get(e.value, 0)}"
                               for e in EtatCompte
                               if kind == "responsable" or e != EtatCompte.EN_COURS_ACTIVATION)
            lines.append(f"  {label} : {states}")
        if self.tipi_numero:
            lines.append(f"  Paiement en ligne : numéro de client TIPI {self.tipi_numero} "
                         "(référentiel de l'académie).")
        if self.notes_mode:
            lines.append(f"  Notes : {notes.MODES[self.notes_mode].lower()}, "
                         f"{self.dates_publication} dates d'échéance.")
        lines.append(f"  Continuité d'accès : {self.continuite} comptes ; chargé en "
                     f"{self.seconds:.1f} s.")
        return lines


def validate(uai: str, eleves: object, type_: str) -> tuple[str, int]:
    """French messages for the inputs a person types."""
    uai = (uai or "").strip().upper()
    if not UAI_RE.match(uai):
        raise DomainError(f"UAI invalide : « {uai[:20]} ». Un UAI comporte 7 chiffres suivis "
                          "d'une lettre, par exemple 0999999X.")
    try:
        n = int(str(eleves).strip())
    except ValueError:
        raise DomainError(f"Nombre d'élèves invalide : « {str(eleves)[:20]} ».") from None
    if n < 1:
        raise DomainError("Le nombre d'élèves doit être au moins 1.")
    if n > MAX_ELEVES:
        raise DomainError(f"Le nombre d'élèves ne peut dépasser {MAX_ELEVES}.")
    if type_ not in TYPES:
        raise DomainError(f"Type d'établissement inconnu : « {type_} » (college ou lycee).")
    return uai, n


def write_demo_xml(out_dir, *, uai: str, eleves: int, type: str = "college", seed: int = 0,
                   today: dt.date | None = None) -> list[Path]:
    """Writes Nomenclature.xml, ElevesSansAdresses.xml and ResponsablesAvecAdresses.xml."""
    uai, eleves = validate(uai, eleves, type)
    pop = population.generate(uai, eleves, type, seed)
    return _write(Path(out_dir), siecle_files.population_files(pop, today or clock.today()))


def _write(out_dir: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files:
        path = out_dir / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def shared_hash(password: str) -> str:
    """One argon2id hash per password and process: staff users and used family accounts of the
    demo share it (hashing thousands of passwords would take minutes)."""
    key = hashlib.sha256(password.encode()).digest()
    if key not in _HASHES:
        _HASHES[key] = hash_password(password)
    return _HASHES[key]


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_academie(code: str, nom: str | None = None) -> Academie:
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9-]{2,20}", code):
        raise DomainError(f"Code d'académie invalide : « {code[:20]} » (2 à 20 lettres, "
                          "chiffres ou tirets).")
    aca = db.session.scalar(select(Academie).where(Academie.code == code))
    if aca is None:
        aca = Academie(code=code, nom=nom or ("Démo" if code == "demo" else code.capitalize()),
                       services_obligatoires=[])
        db.session.add(aca)
        db.session.flush()
    return aca


def staff_logins(uai: str, academie_code: str) -> list[str]:
    return [f"chef.{uai.lower()}", f"assistance.{uai.lower()}", f"academie.{academie_code}"]


def load_demo(uai: str, eleves: int, type: str = "college", seed: int = 0,
              password: str | None = None, today: dt.date | None = None, *,
              academie: str = "demo", xml_out: str | Path | None = None) -> DemoReport:
    """Creates the establishment `uai` with `eleves` pupils; flushes, never commits.

    `password` is the staff users' password (and the used family accounts'); None generates one,
    returned in the report.
    """
    from ..siecle.importer import (
        import_siecle,  # helper "import"; imported late to keep start-up light
    )

    started = time.perf_counter()
    today = today or clock.today()
    uai, eleves = validate(uai, eleves, type)
    generated = password is None
    password = password or generate_password()
    check_password(password)  # the staff password policy (R-SEC-2), generated or given
    if db.session.scalar(select(Etablissement.id).where(Etablissement.uai == uai)):
        raise DomainError(f"L'établissement {uai} existe déjà : choisissez un autre UAI.")
    aca = ensure_academie(academie)

    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - sum(timings.values()) - started, 3)

    pop = population.generate(uai, eleves, type, seed)
    lap("generation")
    etab = _create_etablissement(pop, aca)
    files = siecle_files.population_files(pop, today)
    xml_paths = _write(Path(xml_out), files) if xml_out else []
    lap("xml")
    summary = import_siecle(files, uai=uai, today=today)
    lap("import")

    _open_services(etab)
    _portal_content(etab, today)
    used_hash = shared_hash(password)
    first_mefs = set(db.session.scalars(select(Mef.id).where(
        Mef.etablissement_id == etab.id, Mef.code == pop.mefs[0].code)))
    activity = animation.animate(etab.id, seed_key=f"{uai}:{seed}:{type}", today=today,
                                     used_hash=used_hash, first_level_mef_ids=first_mefs)
    notes_mode = _notes_mode(etab, today) if activity.dates_publication else None
    familles = families.make_family_accounts(etab.id, today, used_hash)
    activity.comptes = _states(etab.id)
    tipi_numero = _academie_referentiels(aca, etab)
    lap("activite")
    created = _staff_users(etab, aca, used_hash)
    audit.record("demo.chargement", etablissement_id=etab.id, target=uai,
                 after={"eleves": eleves, "type": type, "seed": seed})
    db.session.flush()
    counts = summary.as_dict()
    return DemoReport(
        uai=uai, etablissement_id=etab.id, nom=etab.nom, type=type, academie=aca.code,
        seed=seed, eleves=counts["eleves"]["created"],
        responsables=counts["responsables"]["created"], comptes=activity.comptes,
        continuite=activity.continuite, acces=activity.acces,
        evaluations=activity.evaluations, dates_publication=activity.dates_publication,
        logins=staff_logins(uai, aca.code), logins_crees=created, familles=familles,
        password=password if generated else None, tipi_numero=tipi_numero,
        notes_mode=notes_mode, import_summary=counts,
        xml_files=[str(p) for p in xml_paths], seconds=time.perf_counter() - started,
        timings=timings)


def _states(etab_id: int) -> dict[str, dict[str, int]]:
    """Accounts per kind and state, as they are once the demo is loaded."""
    counts: dict[str, dict[str, int]] = {"eleve": {}, "responsable": {}}
    for kind, etat, n in db.session.execute(
            select(Compte.kind, Compte.etat, func.count()).where(
                Compte.etablissement_id == etab_id).group_by(Compte.kind, Compte.etat)):
        counts.setdefault(kind, {})[etat] = n
    return counts


def _create_etablissement(pop: population.Population, aca: Academie) -> Etablissement:
    fake = population.faker_for(f"{pop.uai}:{pop.seed}:etab")
    rue = fake.street_address()
    etab = Etablissement(
        uai=pop.uai, nom=pop.nom_etablissement, type=pop.type, academie_id=aca.id,
        adresse=rue, code_postal=fake.postcode(), ville=fake.city(),
        telephone=f"0{fake.random_int(1, 5)} {fake.numerify('## ## ## ##')}",
        fax=f"0{fake.random_int(1, 5)} {fake.numerify('## ## ## ##')}",
        emails=[f"ce.{pop.uai.lower()}@ac-{aca.code}.fr",
                f"secretariat.{pop.uai.lower()}@ac-{aca.code}.fr",
                f"vie-scolaire.{pop.uai.lower()}@ac-{aca.code}.fr"],
        chef_nom=f"{fake.first_name()} {fake.last_name()}",
        annee_scolaire=population.ANNEE, module_notes_initialise=True,
        # Activated two years ago: services stay open across school years (guide §1).
        active_le=dt.datetime(population.ANNEE - 2, 9, 2, 8, 30),
    )
    db.session.add(etab)
    db.session.flush()
    return etab


def _open_services(etab: Etablissement) -> None:
    rows = catalogue.ensure_etablissement_services(etab)
    closed = CLOSED_BY_TYPE.get(etab.type, set())
    codes = dict(db.session.execute(select(Teleservice.id, Teleservice.code)).all())
    for row in rows:
        if codes.get(row.teleservice_id) in closed:
            row.ouvert = False
    db.session.flush()


def _portal_content(etab: Etablissement, today: dt.date) -> None:
    """A welcome message and useful links, so the portal and « Paramétrage » are not empty."""
    from ..parametrage import (
        welcome,  # helper "services"; sanitises like a head's own message
    )

    welcome.save(etab.id, (
        f"<p>Bienvenue sur les téléservices du <strong>{etab.nom}</strong>.</p>"
        "<p>Consultez les <em>notes</em> et la <em>vie scolaire</em> de votre enfant ; "
        "pensez à mettre à jour votre <u>fiche de renseignements</u>.</p>"), today=today,
        by="demo")
    site = f"https://{etab.uai.lower()}.etab.ac-demo.fr/"
    for position, (libelle, url) in enumerate((
            ("Site de l'établissement", site),
            ("Menus de la restauration scolaire", f"{site}restauration"),
            ("Calendrier scolaire", "https://www.education.gouv.fr/calendrier-scolaire")),
            start=1):
        db.session.add(LienUtile(etablissement_id=etab.id, libelle=libelle, url=url,
                                 position=position))


def _notes_mode(etab: Etablissement, today: dt.date) -> str:
    """The demo has échéance dates (R-SRV-4): publish « à échéance », as chosen by the head the
    day before the rentrée (so in force all year; next-day rule of R-PAR-1 kept)."""
    chosen_on = min(animation.RENTREE, today) - dt.timedelta(days=1)
    notes.set_mode(etab.id, notes.ECHEANCE, today=chosen_on, by="demo")
    return notes.ECHEANCE


def school_tipi_numero(uai: str) -> str:
    return uai[:7]


def _academie_referentiels(aca: Academie, etab: Etablissement) -> str:
    """Once per académie: its TIPI référentiel and its ENT list (R-SRV-5, R-PAR-3) — an académie
    that has any keeps them as they are; every demo school adds its own régie if missing.
    Returns the school's TIPI client number."""
    regies = set(db.session.scalars(select(TipiRegie.numero_client).where(
        TipiRegie.academie_id == aca.id)))
    wanted = [] if regies else list(TIPI_ACADEMIE)
    numero = school_tipi_numero(etab.uai)
    if numero not in regies:
        wanted.append((numero, f"Régie de recettes du {etab.nom}"[:200]))
    for numero_client, libelle in wanted:
        db.session.add(TipiRegie(academie_id=aca.id, numero_client=numero_client,
                                 libelle_regie=libelle))
    ents = []
    if db.session.scalar(select(EntAcademique.id).where(
            EntAcademique.academie_id == aca.id).limit(1)) is None:
        ents = [(f"ENT des collèges – académie {aca.nom}",
                 f"https://college.ent.ac-{aca.code}.fr/"),
                (f"ENT des lycées – académie {aca.nom}", f"https://lycee.ent.ac-{aca.code}.fr/")]
        for nom, url in ents:
            db.session.add(EntAcademique(academie_id=aca.id, nom=nom, url=url))
    if wanted or ents:
        db.session.flush()
        audit.record("demo.referentiels", target=aca.code,
                     after={"tipi": [n for n, _ in wanted], "ent": [n for n, _ in ents]})
    return numero


def _staff_users(etab: Etablissement, aca: Academie, password_hash: str) -> list[str]:
    wanted = [(f"chef.{etab.uai.lower()}", Role.CHEF, etab.id, f"{etab.chef_nom}"),
              (f"assistance.{etab.uai.lower()}", Role.ASSISTANCE, etab.id, "Assistance"),
              (f"academie.{aca.code}", Role.ACADEMIE, None, f"Rectorat {aca.nom}")]
    existing = set(db.session.scalars(select(StaffUser.login).where(
        StaffUser.login.in_([w[0] for w in wanted]))))
    created = []
    for login, role, etab_id, nom in wanted:
        if login in existing:
            continue  # the académie's administrator is made once per académie
        db.session.add(StaffUser(login=login, role=role.value, password_hash=password_hash,
                                 etablissement_id=etab_id, academie_id=aca.id, nom=nom,
                                 droits=[], actif=True, created_at=utcnow()))
        audit.record("utilisateur.creation", etablissement_id=etab_id, target=login,
                     after={"role": role.value, "origine": "demo"})
        created.append(login)
    db.session.flush()
    return created


def has_establishment() -> bool:
    return bool(db.session.scalar(select(func.count(Etablissement.id))))
