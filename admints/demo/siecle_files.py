"""SIECLE BEE XML of a demo population (R-DAT-2): Nomenclature, ElevesSansAdresses and
ResponsablesAvecAdresses, with the element names of the real exports (the samples of
`tests/fixtures/siecle/`), the post-2018 guardian format (`NIVEAU_RESPONSABILITE`) and the
ISO-8859-15 encoding of the prolog. A character outside ISO-8859-15 becomes a character reference,
which is still the same text for any XML parser.

Built as text, not through a DOM: 2,000 pupils are ~2 MB and this is on every benchmark's path.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape, quoteattr

from .population import ANNEE, Population

ENCODING = "ISO-8859-15"
FILE_NAMES = {
    "nomenclature": "Nomenclature.xml",
    "eleves": "ElevesSansAdresses.xml",
    "responsables": "ResponsablesAvecAdresses.xml",
}
RENTREE = dt.date(ANNEE, 9, 1)


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _el(tag: str, value: object, indent: int) -> str:
    text = "" if value is None else escape(str(value))
    return f"{' ' * indent}<{tag}>{text}</{tag}>\n"


def _doc(root: str, version: str, uai: str, today: dt.date, body: list[str]) -> bytes:
    head = (
        f'<?xml version="1.0" encoding="{ENCODING}"?>\n'
        f'<{root} VERSION="{version}">\n'
        "  <PARAMETRES>\n"
        f"{_el('UAJ', uai, 4)}{_el('ANNEE_SCOLAIRE', ANNEE, 4)}"
        f"{_el('DATE_EXPORT', _d(today), 4)}"
        f"{_el('HORODATAGE', _d(today) + ' 07:30:00', 4)}"
        "  </PARAMETRES>\n  <DONNEES>\n"
    )
    text = head + "".join(body) + f"  </DONNEES>\n</{root}>\n"
    return text.encode(ENCODING, errors="xmlcharrefreplace")


def nomenclature_xml(pop: Population, today: dt.date) -> bytes:
    body = ["    <MEFS>\n"]
    for m in pop.mefs:
        body.append(f"      <MEF CODE_MEF={quoteattr(m.code)}>\n")
        body.append(_el("FORMATION", m.formation, 8))
        body.append(_el("LIBELLE_LONG", m.libelle_long, 8))
        if m.libelle_edition:
            body.append(_el("LIBELLE_EDITION", m.libelle_edition, 8))
        body.append(_el("STATUT_MEF", 1, 8))
        body.append(_el("MEF_RATTACHEMENT", m.code, 8))
        body.append(_el("CODE_MEFSTAT", m.mefstat, 8))
        body.append(_el("NB_OPT_OBLIG", 0, 8))
        body.append(_el("NB_OPT_MINI", 0, 8))
        body.append(_el("RENFORCEMENT_LANGUES", 0, 8))
        body.append(_el("INSCRIPTION_ETAB", 1, 8))
        body.append(_el("MEF_ORIGINE", 1, 8))
        body.append(_el("MEF_SELECTIONNE", 1, 8))
        body.append(_el("MEF_SELORIG", 1, 8))
        body.append(_el("DATE_OUVERTURE", "01/09/2019", 8))
        body.append(_el("DATE_FERMETURE", "31/12/9999", 8))
        body.append("      </MEF>\n")
    body.append("    </MEFS>\n")
    return _doc("BEE_NOMENCLATURES", "3.1", pop.uai, today, body)


def eleves_xml(pop: Population, today: dt.date) -> bytes:
    sigle = "LYC" if pop.type == "lycee" else "CLG"
    denom = "LYCEE" if pop.type == "lycee" else "COLLEGE"
    compl = pop.nom_etablissement.split(" ", 1)[1].upper()
    first_levels = {pop.mefs[0].code}
    entree_new = min(RENTREE, today)
    body = ["    <ELEVES>\n"]
    for i, p in enumerate(pop.pupils):
        new = p.mef.code in first_levels and not p.doublement
        body.append(f"      <ELEVE ELEVE_ID={quoteattr(p.siecle_id)}>\n")
        body.append(_el("ID_NATIONAL", p.ine, 8))
        body.append(_el("ID_ELEVE_ETAB", f"{i + 1:05d}", 8))
        body.append(_el("NOM_DE_FAMILLE", p.nom, 8))
        body.append(_el("PRENOM", p.prenom, 8))
        body.append(_el("DATE_NAISS", _d(p.date_naissance), 8))
        body.append(_el("DOUBLEMENT", int(p.doublement), 8))
        body.append(_el("CODE_PAYS", 100, 8))
        body.append(_el("ACCEPTE_SMS", 0, 8))
        body.append(_el("DATE_MODIFICATION", _d(entree_new), 8))
        body.append(_el("CODE_REGIME", 2, 8))
        body.append(_el("DATE_ENTREE", _d(entree_new if new else dt.date(ANNEE - 1, 9, 1)), 8))
        body.append(_el("CODE_SEXE", p.sexe, 8))
        body.append(_el("CODE_PAYS_NAT", 100, 8))
        body.append(_el("CODE_STATUT", "ST", 8))
        body.append(_el("CODE_MEF", p.mef.code, 8))
        body.append(_el("CODE_PROVENANCE", 1, 8))
        if not new:
            # Last year in this very school: how the importer learns the establishment's name.
            body.append("        <SCOLARITE_AN_DERNIER>\n")
            body.append(_el("CODE_RNE", pop.uai, 10))
            body.append(_el("SIGLE", sigle, 10))
            body.append(_el("DENOM_PRINC", denom, 10))
            body.append(_el("DENOM_COMPL", compl, 10))
            body.append("        </SCOLARITE_AN_DERNIER>\n")
        body.append("      </ELEVE>\n")
    body.append("    </ELEVES>\n    <STRUCTURES>\n")
    for p in pop.pupils:
        body.append(f"      <STRUCTURES_ELEVE ELEVE_ID={quoteattr(p.siecle_id)}>\n")
        for code, kind in [(p.division, "D")] + [(g, "G") for g in p.groupes]:
            body.append("        <STRUCTURE>\n")
            body.append(_el("CODE_STRUCTURE", code, 10))
            body.append(_el("TYPE_STRUCTURE", kind, 10))
            body.append("        </STRUCTURE>\n")
        body.append("      </STRUCTURES_ELEVE>\n")
    body.append("    </STRUCTURES>\n    <BOURSES />\n")
    return _doc("BEE_ELEVES", "3.0", pop.uai, today, body)


def responsables_xml(pop: Population, today: dt.date) -> bytes:
    body = ["    <PERSONNES>\n"]
    for p in pop.persons:
        body.append(f"      <PERSONNE PERSONNE_ID={quoteattr(p.siecle_id)}>\n")
        body.append(_el("LC_CIVILITE", p.civilite, 8))
        body.append(_el("LL_CIVILITE", "MADAME" if p.civilite == "MME" else "MONSIEUR", 8))
        body.append(_el("NOM_DE_FAMILLE", p.nom, 8))
        body.append(_el("PRENOM", p.prenom, 8))
        body.append(_el("ACCEPTE_SMS", 0, 8))
        body.append(_el("MEL", p.email, 8))
        body.append(_el("COMMUNICATION_ADRESSE", 1, 8))
        if p.adresse_id:
            body.append(_el("ADRESSE_ID", p.adresse_id, 8))
        body.append("      </PERSONNE>\n")
    body.append("    </PERSONNES>\n    <RESPONSABLES>\n")
    for link in pop.links:
        body.append("      <RESPONSABLE_ELEVE>\n")
        body.append(_el("ELEVE_ID", link.eleve_id, 8))
        body.append(_el("PERSONNE_ID", link.personne_id, 8))
        body.append(_el("NIVEAU_RESPONSABILITE", link.niveau, 8))
        body.append(_el("CODE_PARENTE", link.code_parente, 8))
        body.append(_el("PAIE_FRAIS_SCOLAIRES", int(link.niveau == 1), 8))
        body.append("      </RESPONSABLE_ELEVE>\n")
    body.append("    </RESPONSABLES>\n    <ADRESSES>\n")
    for a in pop.addresses:
        body.append(f"      <ADRESSE ADRESSE_ID={quoteattr(a.adresse_id)}>\n")
        body.append(_el("LIGNE1_ADRESSE", a.ligne1, 8))
        body.append(_el("LIGNE2_ADRESSE", a.ligne2, 8))
        body.append(_el("LIGNE3_ADRESSE", "", 8))
        body.append(_el("LIGNE4_ADRESSE", "", 8))
        body.append(_el("COMMUNE_ETRANGERE", "", 8))
        body.append(_el("CODE_POSTAL", a.code_postal, 8))
        body.append(_el("CODE_PAYS", 100, 8))
        body.append(_el("LL_PAYS", "FRANCE", 8))
        body.append(_el("LIBELLE_POSTAL", a.commune.upper(), 8))
        body.append("      </ADRESSE>\n")
    body.append("    </ADRESSES>\n")
    return _doc("BEE_RESPONSABLES", "2.1", pop.uai, today, body)


def population_files(pop: Population, today: dt.date) -> list[tuple[str, bytes]]:
    """(file name, bytes) in the order an import reads them best: MEFs, pupils, guardians."""
    return [
        (FILE_NAMES["nomenclature"], nomenclature_xml(pop, today)),
        (FILE_NAMES["eleves"], eleves_xml(pop, today)),
        (FILE_NAMES["responsables"], responsables_xml(pop, today)),
    ]
