"""Builders of small SIECLE BEE XML files for the import tests (ISO-8859-15 like real exports)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

ENC = "ISO-8859-15"


def _doc(root: str, uaj: str, body: str, encoding: str = ENC) -> bytes:
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n<{root} VERSION="3.0">\n'
            f"<PARAMETRES><UAJ>{escape(uaj)}</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE>"
            f"<DATE_EXPORT>20/11/2026</DATE_EXPORT></PARAMETRES>\n<DONNEES>\n{body}</DONNEES>\n"
            f"</{root}>\n")
    return text.encode(encoding)


def _tag(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>" if value is not None else ""


def eleve(eid, nom, prenom, mef="10010012110", division="6A", groupes=(), ine="auto",
          naissance="01/03/2014", sortie=None, sexe="2") -> dict:
    return dict(id=str(eid), nom=nom, prenom=prenom, mef=mef, division=division,
                groupes=list(groupes), ine=f"{int(eid) % 10**9:09d}AB" if ine == "auto" else ine,
                naissance=naissance, sortie=sortie, sexe=sexe)


def eleves_xml(uaj: str, eleves: list[dict], encoding: str = ENC) -> bytes:
    rows, structs = [], []
    for e in eleves:
        rows.append(
            f'<ELEVE ELEVE_ID={quoteattr(e["id"])}>' + _tag("ID_NATIONAL", e["ine"] or "")
            + _tag("NOM_DE_FAMILLE", e["nom"]) + _tag("PRENOM", e["prenom"])
            + _tag("DATE_NAISS", e["naissance"]) + _tag("CODE_SEXE", e["sexe"])
            + _tag("CODE_MEF", e["mef"]) + _tag("DATE_SORTIE", e["sortie"]) + "</ELEVE>\n")
        parts = ([f"<STRUCTURE><CODE_STRUCTURE>{escape(e['division'])}</CODE_STRUCTURE>"
                  "<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>"] if e["division"] else [])
        parts += [f"<STRUCTURE><CODE_STRUCTURE>{escape(g)}</CODE_STRUCTURE>"
                  "<TYPE_STRUCTURE>G</TYPE_STRUCTURE></STRUCTURE>" for g in e["groupes"]]
        structs.append(f'<STRUCTURES_ELEVE ELEVE_ID={quoteattr(e["id"])}>{"".join(parts)}'
                       "</STRUCTURES_ELEVE>\n")
    body = f"<ELEVES>\n{''.join(rows)}</ELEVES>\n<STRUCTURES>\n{''.join(structs)}</STRUCTURES>\n"
    return _doc("BEE_ELEVES", uaj, body, encoding)


def personne(pid, nom, prenom, civilite="MME", mel=None, adresse=True) -> dict:
    return dict(id=str(pid), nom=nom, prenom=prenom, civilite=civilite, mel=mel,
                adresse=adresse)


def responsables_xml(uaj: str, personnes: list[dict], liens: list[tuple],
                     old_format: bool = False) -> bytes:
    """`liens`: (eleve_id, personne_id, level) with level in the file's own format."""
    ps, adrs = [], []
    for p in personnes:
        adr = f"<ADRESSE_ID>A{p['id']}</ADRESSE_ID>" if p["adresse"] else ""
        ps.append(f'<PERSONNE PERSONNE_ID={quoteattr(p["id"])}>'
                  + _tag("LC_CIVILITE", p["civilite"])
                  + _tag("NOM_DE_FAMILLE", p["nom"]) + _tag("PRENOM", p["prenom"])
                  + _tag("MEL", p["mel"]) + adr + "</PERSONNE>\n")
        if p["adresse"]:
            adrs.append(f'<ADRESSE ADRESSE_ID="A{p["id"]}"><LIGNE1_ADRESSE>3 rue de l\'Église'
                        "</LIGNE1_ADRESSE><CODE_POSTAL>59000</CODE_POSTAL><LIBELLE_POSTAL>LILLE"
                        "</LIBELLE_POSTAL><LL_PAYS>FRANCE</LL_PAYS></ADRESSE>\n")
    tag = "RESP_LEGAL" if old_format else "NIVEAU_RESPONSABILITE"
    ls = [f"<RESPONSABLE_ELEVE>{_tag('ELEVE_ID', e)}{_tag('PERSONNE_ID', p)}{_tag(tag, n)}"
          "</RESPONSABLE_ELEVE>\n" for e, p, n in liens]
    body = (f"<PERSONNES>\n{''.join(ps)}</PERSONNES>\n<RESPONSABLES>\n{''.join(ls)}"
            f"</RESPONSABLES>\n<ADRESSES>\n{''.join(adrs)}</ADRESSES>\n")
    return _doc("BEE_RESPONSABLES", uaj, body)


def nomenclature_xml(uaj: str, mefs: list[tuple]) -> bytes:
    """`mefs`: (code, libelle_long, libelle_edition or None, mefstat)."""
    rows = [f'<MEF CODE_MEF={quoteattr(code)}>' + _tag("FORMATION", long_[:10])
            + _tag("LIBELLE_LONG", long_) + _tag("LIBELLE_EDITION", edition)
            + _tag("CODE_MEFSTAT", mefstat) + "</MEF>\n" for code, long_, edition, mefstat in mefs]
    return _doc("BEE_NOMENCLATURES", uaj, f"<MEFS>\n{''.join(rows)}</MEFS>\n")


MEFS = [("10010012110", "6EME", "6ème", "21110010012"),
        ("10110001110", "5EME", None, "21120010001")]
