"""The académie of an establishment from its UAI (issue 12 point 2, guide §1.1).

The first three characters of a UAI are its département (« 059 » Nord, « 620 »/« 720 » Corse-du-Sud
and Haute-Corse, « 971 »… overseas). Each département belongs to one académie (the 30 académies
of the 2020 map, Normandie merged). An establishment created by a SIECLE import is attached to the
académie of that name when the product knows it; otherwise an académie administrator attaches it.
"""

from __future__ import annotations

import unicodedata

from ..extensions import db
from ..models import Academie

_ACADEMIES = {
    "Aix-Marseille": "04 05 13 84", "Amiens": "02 60 80", "Besançon": "25 39 70 90",
    "Bordeaux": "24 33 40 47 64", "Clermont-Ferrand": "03 15 43 63", "Corse": "620 720",
    "Créteil": "77 93 94", "Dijon": "21 58 71 89", "Grenoble": "07 26 38 73 74",
    "Lille": "59 62", "Limoges": "19 23 87", "Lyon": "01 42 69",
    "Montpellier": "11 30 34 48 66", "Nancy-Metz": "54 55 57 88", "Nantes": "44 49 53 72 85",
    "Nice": "06 83", "Normandie": "14 27 50 61 76", "Orléans-Tours": "18 28 36 37 41 45",
    "Paris": "75", "Poitiers": "16 17 79 86", "Reims": "08 10 51 52",
    "Rennes": "22 29 35 56", "Strasbourg": "67 68", "Toulouse": "09 12 31 32 46 65 81 82",
    "Versailles": "78 91 92 95", "Guadeloupe": "971", "Martinique": "972", "Guyane": "973",
    "La Réunion": "974", "Mayotte": "976",
}
# UAI prefix (3 characters) -> académie name.
BY_PREFIX = {(code if len(code) == 3 else f"0{code}"): name
             for name, codes in _ACADEMIES.items() for code in codes.split()}


def _key(text: str | None) -> str:
    """« Orléans-Tours », « orleans tours », « ORLEANS_TOURS » compare equal."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def academie_name(uai: str) -> str | None:
    """The académie of the UAI's département, or None (unknown prefix)."""
    return BY_PREFIX.get((uai or "")[:3])


def academie_for_uai(uai: str) -> Academie | None:
    """The stored académie of the UAI's département (matched on its name or code), if any."""
    name = academie_name(uai)
    if name is None:
        return None
    wanted = _key(name)
    for aca in db.session.scalars(db.select(Academie).order_by(Academie.id)):
        if wanted in (_key(aca.nom), _key(aca.code)):
            return aca
    return None
