"""Last year's school of a pupil (SCOLARITE_AN_DERNIER) in a SIECLE export: the name, type and
details (address, city, phone, email) of the establishment, which the export does not give
otherwise; the importer names a new establishment and prefills its Fiche with them (issue 12).
Also the reader of an element's text, shared with `parsing`.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element


def text(el: Element | None, tag: str, limit: int | None = None) -> str | None:
    """The text of `el`'s child `tag`, blanks collapsed, cut at `limit`; None when empty."""
    if el is None:
        return None
    value = el.findtext(tag)
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        return None
    return value[:limit] if limit else value


def previous_school(el: Element, schools: dict) -> None:
    """The first name and type seen for the school of last year (SCOLARITE_AN_DERNIER)."""
    prev = el.find("SCOLARITE_AN_DERNIER")
    rne = (text(prev, "CODE_RNE") or "").upper() if prev is not None else ""
    if not rne or rne in schools:
        return
    name = " ".join(p for p in (text(prev, "DENOM_PRINC"), text(prev, "DENOM_COMPL")) if p)
    sigle = (text(prev, "SIGLE") or "").upper()
    kind = None
    if sigle.startswith("LY") or sigle in {"LP", "LPO", "LGT", "LEGT"}:
        kind = "lycee"
    elif sigle.startswith("CLG") or "COLLEGE" in name.upper():
        kind = "college"
    if name:
        schools[rne] = (name[:200], kind, school_details(prev))


def school_details(prev: Element) -> dict:
    """Address, city, phone and email of last year's school, as the export gives them."""
    lines = [text(prev, f"LIGNE{n}_ADRESSE", 120) for n in (1, 2, 3, 4)]
    details = {"adresse": " ".join(line for line in lines if line)[:300],
               "code_postal": text(prev, "CODE_POSTAL", 10),
               "ville": text(prev, "LL_COMMUNE_INSEE", 120),
               "telephone": text(prev, "TELEPHONE", 30),
               "courriel": text(prev, "MEL", 254)}
    return {key: value for key, value in details.items() if value}
