"""SIECLE BEE XML exports (R-DAT-1, R-DAT-3) read into plain dataclasses — no database here.

Owns: recognising the kind of a file from its root element (BEE_ELEVES, BEE_RESPONSABLES,
BEE_NOMENCLATURES, BEE_STRUCTURES), reading each record (ELEVE, PERSONNE, MEF…) into
`ParsedFile`, and refusing a file that could not be a real export: no UAJ, no DONNEES section,
no pupil / no guardian / no link / no MEF / no structure, an identifier longer than the
database keeps, two files of the same kind. The bytes are parsed by `stream` (defused,
streamed one record at a time, bounded by `Limits`), and a .zip is inflated as it is read.
The encoding is the one of the XML prolog (ISO-8859-15 in real exports). Every refusal is an
`ImportRefused` with a French message naming the file.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from ..errors import ImportRefused
from . import stream
from .schools import previous_school
from .schools import text as _text
from .stream import Limits

__all__ = ["Limits", "ParsedFile", "parse_file", "parse_files"]

ROOT_KINDS = {
    "BEE_ELEVES": "eleves",
    "BEE_RESPONSABLES": "responsables",
    "BEE_NOMENCLATURES": "nomenclature",
    "BEE_STRUCTURES": "structures",
}
KIND_LABELS = {
    "eleves": "élèves",
    "responsables": "responsables",
    "nomenclature": "nomenclature",
    "structures": "structures",
}
ID_MAX = 20  # ELEVE_ID, PERSONNE_ID: the database's column size


@dataclass(slots=True)
class MefData:
    code: str
    libelle: str
    formation: str | None = None
    mefstat: str | None = None


@dataclass(slots=True)
class EleveData:
    siecle_id: str
    ine: str | None
    nom: str
    prenom: str
    date_naissance: dt.date | None = None
    sexe: str | None = None
    code_mef: str | None = None
    date_sortie: dt.date | None = None
    sortie_renseignee: bool = False  # DATE_SORTIE present, even unreadable
    division: str | None = None
    groupes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PersonneData:
    siecle_id: str
    nom: str
    prenom: str
    civilite: str | None = None
    email: str | None = None
    adresse_ligne1: str | None = None
    adresse_ligne2: str | None = None
    adresse_ligne3: str | None = None
    adresse_ligne4: str | None = None
    code_postal: str | None = None
    commune: str | None = None
    pays: str | None = None


@dataclass(slots=True)
class LienData:
    eleve_id: str
    personne_id: str
    niveau: int  # 1 légal 1, 2 légal 2, 0 other


@dataclass(slots=True)
class StructureData:
    code: str
    type: str  # "D" division, "G" groupe
    libelle: str | None = None


@dataclass(slots=True)
class ParsedFile:
    filename: str
    kind: str
    uaj: str
    annee: int | None = None
    nom_etablissement: str | None = None
    type_etablissement: str | None = None
    # Details of the establishment for its Fiche (issue 12), when the export has them: field of
    # `parametrage.fiche.FIELDS` -> raw value (checked when applied).
    fiche_etablissement: dict = field(default_factory=dict)
    mefs: list[MefData] = field(default_factory=list)
    eleves: list[EleveData] = field(default_factory=list)
    personnes: list[PersonneData] = field(default_factory=list)
    liens: list[LienData] = field(default_factory=list)
    structures: list[StructureData] = field(default_factory=list)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


class _Reader(ABC):
    """The records of one kind of file, then `finish` (cross references, emptiness); each kind
    of file has its subclass."""

    def __init__(self, parsed: ParsedFile):
        self.p = parsed

    @abstractmethod
    def handlers(self) -> stream.Handlers: ...

    @abstractmethod
    def finish(self) -> None: ...

    def ident(self, value: str | None, attr: str, what: str) -> str:
        value = (value or "").strip()
        if not value:
            raise ImportRefused(f"Le fichier « {self.p.filename} » contient {what} sans {attr}.")
        if len(value) > ID_MAX:
            raise ImportRefused(
                f"Le fichier « {self.p.filename} » contient un {attr} de plus de {ID_MAX} "
                f"caractères (« {value[:20]}… ») : ce n'est pas un export SIECLE, il est refusé.")
        return value

    def empty(self, what: str) -> ImportRefused:
        return ImportRefused(
            f"Le fichier « {self.p.filename} » ne contient {what} : un import de ce fichier "
            "viderait l'établissement. Il est refusé, rien n'a été modifié.")


class _Eleves(_Reader):
    def __init__(self, parsed):
        super().__init__(parsed)
        self.by_id: dict[str, EleveData] = {}
        self.structures: dict[str, list[tuple[str, str]]] = {}
        self.schools: dict[str, tuple] = {}  # CODE_RNE -> (name, type, details) of last year

    def handlers(self):
        return {("ELEVES", "ELEVE"): self.eleve,
                ("STRUCTURES", "STRUCTURES_ELEVE"): self.structure}

    def eleve(self, el: Element) -> None:
        siecle_id = self.ident(el.get("ELEVE_ID"), "ELEVE_ID", "un élève")
        sortie = _text(el, "DATE_SORTIE")
        self.by_id[siecle_id] = EleveData(
            siecle_id=siecle_id,
            ine=_text(el, "ID_NATIONAL", 20),
            nom=_text(el, "NOM_USAGE", 120) or _text(el, "NOM_DE_FAMILLE", 120) or "",
            prenom=_text(el, "PRENOM", 120) or "",
            date_naissance=_date(_text(el, "DATE_NAISS")),
            sexe=_text(el, "CODE_SEXE", 1),
            code_mef=_text(el, "CODE_MEF", 20),
            date_sortie=_date(sortie),
            sortie_renseignee=bool(sortie),
        )
        previous_school(el, self.schools)

    def structure(self, st: Element) -> None:
        codes = self.structures.setdefault((st.get("ELEVE_ID") or "").strip(), [])
        for s in st.iterfind("STRUCTURE"):
            code = _text(s, "CODE_STRUCTURE", 40)
            if code:
                codes.append(((_text(s, "TYPE_STRUCTURE") or "").upper(), code))

    def finish(self) -> None:
        if not self.by_id:
            raise self.empty("aucun élève")
        for eid, codes in self.structures.items():
            eleve = self.by_id.get(eid)
            if eleve is None:
                continue
            for typ, code in codes:
                if typ == "D":
                    eleve.division = eleve.division or code
                elif code not in eleve.groupes:
                    eleve.groupes.append(code)
        self.p.eleves = list(self.by_id.values())
        # The export does not name the establishment, but a pupil who was already there last
        # year carries it in SCOLARITE_AN_DERNIER (CODE_RNE = our UAJ).
        (self.p.nom_etablissement, self.p.type_etablissement,
         self.p.fiche_etablissement) = self.schools.get(self.p.uaj, (None, None, {}))


def _niveau(lien: Element) -> int:
    """Old format RESP_LEGAL 1/2/0; post-2018 NIVEAU_RESPONSABILITE 1/2/3 → 1/2/0."""
    old = _text(lien, "RESP_LEGAL")
    if old is not None:
        return {"1": 1, "2": 2}.get(old, 0)
    return {"1": 1, "2": 2}.get(_text(lien, "NIVEAU_RESPONSABILITE") or "", 0)


_ADRESSE_FIELDS = ("adresse_ligne1", "adresse_ligne2", "adresse_ligne3", "adresse_ligne4",
                   "code_postal", "commune", "pays")


class _Responsables(_Reader):
    def __init__(self, parsed):
        super().__init__(parsed)
        self.adresse_of: list[str] = []  # ADRESSE_ID of each person, in order
        self.adresses: dict[str, tuple] = {}

    def handlers(self):
        return {("PERSONNES", "PERSONNE"): self.personne,
                ("RESPONSABLES", "RESPONSABLE_ELEVE"): self.lien,
                ("ADRESSES", "ADRESSE"): self.adresse}

    def personne(self, p: Element) -> None:
        pid = self.ident(p.get("PERSONNE_ID"), "PERSONNE_ID", "une personne")
        self.p.personnes.append(PersonneData(
            siecle_id=pid,
            civilite=_text(p, "LC_CIVILITE", 10),
            nom=_text(p, "NOM_DE_FAMILLE", 120) or "",
            prenom=_text(p, "PRENOM", 120) or "",
            email=_text(p, "MEL", 254),
        ))
        self.adresse_of.append(_text(p, "ADRESSE_ID") or "")

    def adresse(self, a: Element) -> None:
        self.adresses[(a.get("ADRESSE_ID") or "").strip()] = (
            _text(a, "LIGNE1_ADRESSE", 120), _text(a, "LIGNE2_ADRESSE", 120),
            _text(a, "LIGNE3_ADRESSE", 120), _text(a, "LIGNE4_ADRESSE", 120),
            _text(a, "CODE_POSTAL", 10),
            _text(a, "LIBELLE_POSTAL", 120) or _text(a, "COMMUNE_ETRANGERE", 120),
            _text(a, "LL_PAYS", 120))

    def lien(self, lien: Element) -> None:
        eleve_id, personne_id = _text(lien, "ELEVE_ID"), _text(lien, "PERSONNE_ID")
        if not eleve_id or not personne_id:
            raise ImportRefused(
                f"Le fichier « {self.p.filename} » contient un lien responsable–élève "
                "sans ELEVE_ID ou sans PERSONNE_ID.")
        self.p.liens.append(LienData(self.ident(eleve_id, "ELEVE_ID", "un lien"),
                                     self.ident(personne_id, "PERSONNE_ID", "un lien"),
                                     _niveau(lien)))

    def finish(self) -> None:
        if not self.p.personnes:
            raise self.empty("aucun responsable (PERSONNES vide)")
        if not self.p.liens:
            raise self.empty("aucun lien responsable–élève (RESPONSABLES vide)")
        # personne() appends to both lists together: one ADRESSE_ID per person.
        for person, adresse_id in zip(self.p.personnes, self.adresse_of, strict=True):
            values = self.adresses.get(adresse_id) if adresse_id else None
            if values:
                # adresse() stores one value per field of _ADRESSE_FIELDS, in that order.
                for name, value in zip(_ADRESSE_FIELDS, values, strict=True):
                    setattr(person, name, value)


class _Nomenclature(_Reader):
    def handlers(self):
        return {("MEFS", "MEF"): self.mef}

    def mef(self, m: Element) -> None:
        code = (m.get("CODE_MEF") or "").strip()[:20]
        if not code:
            return
        # LIBELLE_EDITION is often missing from real exports: fall back to LIBELLE_LONG.
        libelle = (_text(m, "LIBELLE_EDITION", 200) or _text(m, "LIBELLE_LONG", 200)
                   or _text(m, "FORMATION", 200) or code)
        self.p.mefs.append(MefData(code=code, libelle=libelle,
                                   formation=_text(m, "FORMATION", 60),
                                   mefstat=_text(m, "CODE_MEFSTAT", 20)))

    def finish(self) -> None:
        if not self.p.mefs:
            raise self.empty("aucun MEF")


class _Structures(_Reader):
    def handlers(self):
        return {("DIVISIONS", "DIVISION"): lambda s: self.structure(s, "D"),
                ("GROUPES", "GROUPE"): lambda s: self.structure(s, "G")}

    def structure(self, s: Element, kind: str) -> None:
        code = (s.get("CODE_STRUCTURE") or _text(s, "CODE_STRUCTURE") or "").strip()[:40]
        if code:
            self.p.structures.append(StructureData(
                code=code, type=kind,
                libelle=_text(s, "LIBELLE_LONG", 200) or _text(s, "LIBELLE_COURT", 200)))

    def finish(self) -> None:
        if not self.p.structures:
            raise self.empty("aucune division ni aucun groupe")


_READERS = {"eleves": _Eleves, "responsables": _Responsables,
            "nomenclature": _Nomenclature, "structures": _Structures}


def _parse(filename: str, read, limits: Limits, seen: dict[str, str]) -> ParsedFile:
    state: dict = {}

    def on_root(tag: str) -> stream.Handlers:
        kind = ROOT_KINDS.get(tag)
        if kind is None:
            raise ImportRefused(
                f"Le fichier « {filename} » n'est pas un export SIECLE reconnu (élément racine "
                f"<{tag[:40]}>) : attendus ElevesSansAdresses, ElevesAvecAdresses, "
                "ResponsablesAvecAdresses, Nomenclature ou Structures.")
        if kind in seen:  # said before reading a second file of the same kind
            raise ImportRefused(
                f"Deux fichiers de {KIND_LABELS[kind]} : « {seen[kind]} » et « {filename} ». "
                "Importez-les séparément.")
        seen[kind] = filename
        state["reader"] = reader = _READERS[kind](ParsedFile(filename=filename, kind=kind, uaj=""))
        return reader.handlers()

    walk = stream.walk(filename, read, limits, on_root)
    reader = state["reader"]
    parsed = reader.p
    parsed.uaj = _clean(walk.params.get("UAJ")).upper()
    if not parsed.uaj:
        raise ImportRefused(f"Le fichier « {filename} » n'indique pas d'UAJ (PARAMETRES/UAJ).")
    parsed.annee = _int(_clean(walk.params.get("ANNEE_SCOLAIRE")))
    if not walk.donnees:
        raise ImportRefused(
            f"Le fichier « {filename} » n'a pas de section DONNEES : ce n'est pas un export "
            "SIECLE complet. Il est refusé, rien n'a été modifié.")
    reader.finish()
    return parsed


def parse_file(filename: str, data: stream.Upload, limits: Limits | None = None) -> ParsedFile:
    """One plain XML file."""
    files = parse_files([(filename, data)], limits)
    if len(files) != 1:
        raise ImportRefused(f"« {filename} » n'est pas un fichier XML seul.")
    return files[0]


def parse_files(files: list[tuple[str, stream.Upload]],
                limits: Limits | None = None) -> list[ParsedFile]:
    """Every file parsed (a .zip: its XML members), at most one of each kind."""
    limits = limits or Limits()
    seen: dict[str, str] = {}
    parsed = [_parse(shown, read, limits, seen)
              for name, data in files
              for shown, read in stream.sources(name, data, limits)]
    if not parsed:
        raise ImportRefused("Aucun fichier SIECLE à importer.")
    return parsed
