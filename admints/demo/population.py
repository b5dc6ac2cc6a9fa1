"""The population of a demo establishment (R-DAT-2), as plain data: no database, no XML.

Deterministic for a given (uai, seed, size, type): names come from Faker fr_FR's lists and a
`random.Random` seeded with both, so two establishments of one benchmark differ while a rerun is
identical. What makes it realistic: accents, hyphens and apostrophes (D'Alembert, N'Diaye),
twins, siblings sharing their guardians, separated parents at two addresses, guardians without
email or without address, some emails of invalid format, légal 1 / légal 2 and a few non-legal
persons, several divisions per MEF, language and option groups.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from faker import Faker

from ..comptes.identifiers import normalise_part

ANNEE = 2026  # school year 2026/2027


@dataclass(frozen=True)
class MefDef:
    code: str
    formation: str
    libelle_long: str
    libelle_edition: str | None  # often missing from real exports
    mefstat: str
    niveau: str  # division prefix
    age: int  # age reached in the calendar year of the rentrée, without repeating a year
    part: float  # share of the pupils


MEFS = {
    "college": (
        MefDef("10010012110", "6EME", "6EME", "6ème", "21110010012", "6", 11, 0.26),
        MefDef("10110001110", "5G", "5EME", "5ème", "21120010001", "5", 12, 0.25),
        MefDef("10210001110", "4G", "4EME", "4ème", "21150010001", "4", 13, 0.25),
        MefDef("10310019110", "3EME", "3EME", None, "21160010019", "3", 14, 0.24),
    ),
    "lycee": (
        MefDef("20010018110", "2NDE", "2NDE GENERALE ET TECHNOLOGIQUE", "2de générale et techno.",
               "22111410018", "2", 15, 0.36),
        MefDef("20111000110", "1G", "1ERE GENERALE", "1re générale", "22121510001", "1G", 16,
               0.24),
        MefDef("21131016110", "1STMG", "1ERE STMG", None, "22141016110", "1STMG", 16, 0.09),
        MefDef("20211000110", "TG", "TERMINALE GENERALE", "Terminale générale", "22131510001",
               "TG", 17, 0.23),
        MefDef("21231016110", "TSTMG", "TERMINALE STMG", None, "22151016110", "TSTMG", 17, 0.08),
    ),
}

# Names a generator must meet: apostrophes, hyphens, particles, ligatures, diaereses.
SPECIAL_SURNAMES = (
    "D'Alembert", "N'Diaye", "D'Almeida", "L'Hermitte", "Martin-Dupont", "Le Goff",
    "De La Fontaine", "Œhlenschläger", "Nuñez", "Dubois-Lefèvre", "Mbappé", "Ó Briain",
    "Saint-Exupéry", "Cœurderoy", "Müller", "Nguyen", "Ben Saïd", "Da Costa-Moreau",
)
SPECIAL_FIRST_F = ("Zoé-Anaïs", "Marie-Hélène", "Anne Sophie", "Lætitia", "Maëlys", "Noëlle",
                   "Chloé", "Inès", "Gaëlle", "Héloïse", "Anaëlle", "Léa-Rose")
SPECIAL_FIRST_M = ("Jean-Baptiste", "Maël", "Noé", "Loïc", "Anaël", "Jérôme-Élie", "Ægir",
                   "Pierre Louis", "Raphaël", "Joël", "Timothée", "Côme")
INVALID_EMAILS = ("{u}@", "{u}.orange.fr", "{u}@@free.fr", "{u} {d}@gmail.com", "{u}@gmail",
                  "@laposte.net", "{u}@hotmail..fr")
EMAIL_DOMAINS = ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr",
                 "yahoo.fr", "outlook.fr", "wanadoo.fr", "icloud.com")
GROUPES = {
    "college": (("5", "ESP", "Espagnol LV2"), ("4", "ESP", "Espagnol LV2"),
                ("3", "ESP", "Espagnol LV2"), ("5", "ALL", "Allemand LV2"),
                ("4", "ALL", "Allemand LV2"), ("3", "ALL", "Allemand LV2"),
                ("5", "LAT", "Latin"), ("4", "LAT", "Latin"), ("3", "LAT", "Latin"),
                ("6", "CHO", "Chorale")),
    "lycee": (("2", "ESP", "Espagnol LVB"), ("2", "ALL", "Allemand LVB"),
              ("1G", "MATHS", "Spécialité mathématiques"), ("1G", "SES", "Spécialité SES"),
              ("TG", "MATHS", "Spécialité mathématiques"), ("TG", "HGGSP", "Spécialité HGGSP"),
              ("2", "LAT", "Latin")),
}


@dataclass
class Pupil:
    siecle_id: str
    ine: str
    nom: str
    prenom: str
    sexe: str  # 1 masculin, 2 féminin
    date_naissance: dt.date
    mef: MefDef
    division: str
    groupes: list[str] = field(default_factory=list)
    doublement: bool = False
    family: int = 0
    twin_of: str | None = None


@dataclass
class Person:
    siecle_id: str
    civilite: str  # M. | MME
    nom: str
    prenom: str
    email: str | None
    adresse_id: str | None


@dataclass
class Address:
    adresse_id: str
    ligne1: str
    ligne2: str
    code_postal: str
    commune: str


@dataclass
class Link:
    eleve_id: str
    personne_id: str
    niveau: int  # NIVEAU_RESPONSABILITE: 1, 2, or 3 (other, not legal)
    code_parente: str  # 10 mère, 20 père, 50 tuteur, 80 autre


@dataclass
class Population:
    uai: str
    type: str
    seed: int
    nom_etablissement: str
    mefs: tuple[MefDef, ...]
    divisions: dict[str, MefDef]  # code → MEF
    groupes: dict[str, str]  # code → label
    pupils: list[Pupil]
    persons: list[Person]
    addresses: list[Address]
    links: list[Link]


_FAKER: Faker | None = None


def faker_for(seed_key: str) -> Faker:
    """One Faker fr_FR per process, reseeded: building one costs more than seeding it."""
    global _FAKER
    if _FAKER is None:
        _FAKER = Faker("fr_FR")
    _FAKER.seed_instance(seed_key)
    return _FAKER


def level_counts(total: int, mefs: tuple[MefDef, ...]) -> list[int]:
    counts = [int(total * m.part) for m in mefs]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def division_codes(mef: MefDef, count: int) -> list[str]:
    """At least two divisions per MEF once there are pupils for it, ~26 pupils each."""
    n = max(2 if count >= 4 else 1, math.ceil(count / 26)) if count else 0
    if n <= 26:
        return [f"{mef.niveau}{chr(ord('A') + i)}" for i in range(n)]
    return [f"{mef.niveau}{i + 1:02d}" for i in range(n)]


class _Gen:
    def __init__(self, uai: str, seed: int, type_: str):
        self.key = f"{uai}:{seed}:{type_}"
        self.rng = random.Random(self.key)
        self.fake = faker_for(self.key)
        provider = self.fake.provider("faker.providers.person")
        self.last_names = list(provider.last_names)
        self.first_f = list(provider.first_names_female)
        self.first_m = list(provider.first_names_male)
        self.ids = self.rng.randrange(100000, 900000) * 10

    def next_id(self) -> str:
        self.ids += 1
        return str(self.ids)

    def surname(self) -> str:
        return self.rng.choice(SPECIAL_SURNAMES if self.rng.random() < 0.06 else self.last_names)

    def first_name(self, sexe: str) -> str:
        if self.rng.random() < 0.08:
            return self.rng.choice(SPECIAL_FIRST_M if sexe == "1" else SPECIAL_FIRST_F)
        return self.rng.choice(self.first_m if sexe == "1" else self.first_f)

    def email(self, prenom: str, nom: str, force: str | None = None) -> str | None:
        r = self.rng.random()
        if force == "none" or (r < 0.14 and force is None):
            return None  # no email known in SIECLE
        user = f"{normalise_part(prenom)}.{normalise_part(nom)}".strip(".") or "contact"
        if self.rng.random() < 0.5:
            user += str(self.rng.randrange(1, 99))
        domain = self.rng.choice(EMAIL_DOMAINS)
        if force == "invalid" or (r < 0.18 and force is None):  # typed wrong at the office
            return self.rng.choice(INVALID_EMAILS).format(u=user, d=domain)
        return f"{user}@{domain}"

    def person(self, civilite: str, nom: str, address: Address | None,
               email: str | None = None) -> Person:
        """A guardian or a contact: first name by civilité, SIECLE email drawn (`email` forces
        "none" or "invalid", see `email`), living at `address` (None: unknown to SIECLE)."""
        person = Person(self.next_id(), civilite, nom,
                        self.first_name("1" if civilite == "M." else "2"), None,
                        address.adresse_id if address else None)
        person.email = self.email(person.prenom, person.nom, email)
        return person

    def address(self) -> Address:
        f = self.fake
        ligne2 = self.rng.choice(("", "", "", "Bâtiment B", "Résidence Les Tilleuls",
                                  "Appartement 12", "Lieu-dit L'Écluse"))
        return Address(self.next_id(), f.street_address(), ligne2, f.postcode(), f.city())

    def ine(self) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _ in range(9))
        return digits + "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))


def generate(uai: str, eleves: int, type_: str = "college", seed: int = 0) -> Population:
    g = _Gen(uai, seed, type_)
    rng = g.rng
    mefs = MEFS[type_]
    counts = level_counts(eleves, mefs)
    divisions: dict[str, MefDef] = {}
    slots: dict[str, list[str]] = {}  # MEF code → division codes to fill, round-robin
    for mef, count in zip(mefs, counts, strict=True):
        codes = division_codes(mef, count)
        for code in codes:
            divisions[code] = mef
        slots[mef.code] = [codes[i % len(codes)] for i in range(count)] if codes else []
        rng.shuffle(slots[mef.code])
    groupes = {f"{niv}_{code}": label for niv, code, label in GROUPES[type_]}

    pupils: list[Pupil] = []
    persons: list[Person] = []
    addresses: list[Address] = []
    links: list[Link] = []
    family = 0
    remaining = dict(zip((m.code for m in mefs), counts, strict=True))
    by_code = {m.code: m for m in mefs}

    def take(prefer: set[str] | None = None, exclude: set[str] = frozenset()) -> MefDef | None:
        pool = [c for c, n in remaining.items() if n > 0 and c not in exclude]
        if prefer:
            pool = [c for c in pool if c in prefer] or pool
        if not pool:
            return None
        code = rng.choices(pool, weights=[remaining[c] for c in pool])[0]
        remaining[code] -= 1
        return by_code[code]

    while len(pupils) < eleves:
        family += 1
        plan = _plan(rng, family, eleves)
        nom_pere = plan.nom_pere or g.surname()
        nom_mere = g.surname()
        # Children's surname: father's, or both joined with a hyphen.
        child_nom = nom_pere if rng.random() < 0.85 else f"{nom_pere}-{nom_mere}"
        used: set[str] = set()
        kids: list[Pupil] = []
        for k in range(min(plan.size, eleves - len(pupils))):
            twin = plan.twins and k == 1
            mef = (take(prefer={kids[0].mef.code}) if twin else take(exclude=used)) or take()
            if mef is None:
                break
            used.add(mef.code)
            sexe = rng.choice("12")
            doublement = rng.random() < 0.04
            if twin and mef.code == kids[0].mef.code:
                born, doublement = kids[0].date_naissance, kids[0].doublement
            else:
                year = ANNEE - mef.age - (1 if doublement else 0)
                born = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            prenom = (plan.prenoms[k] if k < len(plan.prenoms) else None) or g.first_name(sexe)
            pupil = Pupil(g.next_id(), g.ine(), child_nom, prenom, sexe, born, mef,
                          slots[mef.code].pop(), doublement=doublement, family=family)
            if twin and born == kids[0].date_naissance:
                pupil.twin_of = kids[0].siecle_id
            kids.append(pupil)
        if not kids:
            break
        for p in kids:
            _assign_groups(rng, p, groupes)
        pupils.extend(kids)

        home = g.address() if plan.home else None
        if home:
            addresses.append(home)
        parents = [g.person("MME", nom_mere, home, plan.mother_email)]
        if plan.two_parents:
            other = home
            if plan.separated:
                other = g.address() if plan.father_address else None
                if other:
                    addresses.append(other)
            parents.append(g.person("M.", nom_pere, other, plan.father_email))
        rng.shuffle(parents)
        persons.extend(parents)
        for p in kids:
            for i, parent in enumerate(parents):
                niveau = 1 if i == 0 or plan.both_level_1 else 2
                links.append(Link(p.siecle_id, parent.siecle_id, niveau,
                                  "10" if parent.civilite == "MME" else "20"))
        if plan.non_legal:  # a grandparent or other contact, not a legal guardian
            civilite = "M." if rng.choice("12") == "1" else "MME"
            other_person = g.person(civilite, g.surname(), home)
            persons.append(other_person)
            for p in kids:
                links.append(Link(p.siecle_id, other_person.siecle_id, 3, "80"))

    _add_homonyms(rng, pupils)
    name = _school_name(g, type_)
    return Population(uai, type_, seed, name, mefs, divisions, groupes, pupils, persons,
                      addresses, links)


@dataclass
class _FamilyPlan:
    size: int
    twins: bool
    separated: bool
    two_parents: bool
    home: bool  # the family's address is known to SIECLE
    father_address: bool
    both_level_1: bool  # post-2018 format: several level-1 persons
    non_legal: bool
    nom_pere: str | None = None
    prenoms: tuple[str, ...] = ()
    mother_email: str | None = None  # "none" | "invalid" to force, else random
    father_email: str | None = None


def _plan(rng: random.Random, family: int, eleves: int) -> _FamilyPlan:
    r = rng.random()
    size = 1 if r < 0.72 else 2 if r < 0.93 else 3
    plan = _FamilyPlan(
        size=size, twins=size >= 2 and rng.random() < 0.12, separated=rng.random() < 0.22,
        two_parents=rng.random() > 0.12, home=rng.random() > 0.03,
        father_address=rng.random() > 0.03, both_level_1=rng.random() < 0.04,
        non_legal=rng.random() < 0.05)
    if eleves < 12 or family > 3:
        return plan
    # The first families guarantee every case, even in a 12-pupil establishment.
    if family == 1:  # twins, D'Alembert, a guardian without email
        plan.size, plan.twins, plan.two_parents, plan.separated = 2, True, True, False
        plan.nom_pere, plan.prenoms = "D'Alembert-Nuñez", ("Zoé-Anaïs", "Côme")
        plan.mother_email, plan.both_level_1 = "none", False
    elif family == 2:  # siblings of separated parents, one without address, an invalid email
        plan.size, plan.twins, plan.two_parents, plan.separated = 2, False, True, True
        plan.nom_pere, plan.home, plan.father_address = "N'Diaye", True, False
        plan.mother_email, plan.both_level_1 = "invalid", False
    else:  # a family without any address, with a non-legal contact
        plan.size, plan.two_parents, plan.home, plan.non_legal = 1, True, False, True
        plan.separated, plan.nom_pere, plan.prenoms = False, "Œhlenschläger", ("Ægir",)
    return plan


def _assign_groups(rng: random.Random, pupil: Pupil, groupes: dict[str, str]) -> None:
    mine = [c for c in groupes if c.split("_", 1)[0] == pupil.mef.niveau]
    langs = [c for c in mine if c.endswith(("_ESP", "_ALL"))]
    if langs:
        pupil.groupes.append(rng.choices(langs, weights=[3, 1][: len(langs)])[0])
    for c in mine:
        if c not in langs and rng.random() < 0.3:
            pupil.groupes.append(c)


def _add_homonyms(rng: random.Random, pupils: list[Pupil]) -> None:
    """Two pupils of different families with the very same name (identifiers get a number).
    The families that guarantee the special cases (1 to 3) are left as they are."""
    others = [p for p in pupils if p.family > 3]
    if len(pupils) < 10 or len(others) < 2:
        return
    a, b = rng.sample(others, 2)
    if a.family != b.family:
        b.nom, b.prenom = a.nom, a.prenom


SCHOOL_NAMES = ("Victor-Hugo", "Jean-Moulin", "Marie-Curie", "Jules-Ferry", "Simone-Veil",
                "Louise-Michel", "Albert-Camus", "Jean-Jaurès", "Georges-Brassens",
                "Olympe-de-Gouges", "Antoine-de-Saint-Exupéry", "Émile-Zola", "Joséphine-Baker",
                "Pierre-et-Marie-Curie", "Jacques-Prévert", "Aimé-Césaire", "Françoise-Dolto")


def _school_name(g: _Gen, type_: str) -> str:
    return f"{'Lycée' if type_ == 'lycee' else 'Collège'} {g.rng.choice(SCHOOL_NAMES)}"
