"""What a SIECLE import takes away, and how a later import gives it back (R-DAT-3).

- `plan_departures(state, plan)`: before anything is written, the pupils who would leave, the
  guardians who would lose their last link and the accounts nobody would use any more
  (`Departures`). Above `threshold` (SIECLE_DEPARTURE_THRESHOLD, 20 % by default) of the
  establishment's pupils or guardians, the import is not applied (`DeparturesToConfirm`, with
  the plan) until it is confirmed: `--confirm-departures` on the command line, a second POST on
  the upload screen carrying the plan it confirmed (`Departures.covers`).
- `Keeper`, used by `writer`: every account taken from a pupil who leaves or from a
  guardian link that disappears (or stops being légal 1/2) is recorded in `compte_conserve`
  (SIECLE ids → account), and closed (`ferme_le`) once nobody uses it — never deleted, as the
  guide keeps an account for its holder's continuity of access until it expires. When the
  pupil or the link comes back (the right file re-imported after a wrong one, a pupil who
  returns), it gets that very account back, reopened: same identifier, state, passwords and
  email. Closed accounts are in no list and no statistic: those read pupils and links only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select, update

from ..clock import utcnow
from ..errors import ImportRefused
from ..extensions import db
from ..i18n import format_percent
from ..models import Compte, CompteConserve

CHUNK = 900


@dataclass(frozen=True)
class Departures:
    """What an import would take away from the establishment."""

    eleves_sortis: int = 0
    eleves_total: int = 0
    responsables_retires: int = 0
    responsables_total: int = 0
    comptes_fermes: int = 0

    def shares(self) -> tuple[float, float]:
        return (self.eleves_sortis / self.eleves_total if self.eleves_total else 0.0,
                self.responsables_retires / self.responsables_total
                if self.responsables_total else 0.0)

    def exceeds(self, threshold: float) -> bool:
        return any(share > threshold for share in self.shares())

    def covers(self, other: Departures) -> bool:
        """This confirmed plan allows `other` (no more departures than confirmed)."""
        return (other.eleves_sortis <= self.eleves_sortis
                and other.responsables_retires <= self.responsables_retires
                and other.comptes_fermes <= self.comptes_fermes)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Departures:
        return cls(**{k: int(data.get(k, 0)) for k in cls.__dataclass_fields__})

    def lines_fr(self) -> list[str]:
        eleves, resp = self.shares()
        return [
            f"Élèves sortis : {self.eleves_sortis} sur {self.eleves_total} "
            f"({format_percent(100 * eleves)})",
            f"Responsables retirés : {self.responsables_retires} sur {self.responsables_total} "
            f"({format_percent(100 * resp)})",
            f"Comptes fermés : {self.comptes_fermes} (conservés : ils sont rouverts, avec le même "
            "identifiant, si l'élève ou le lien revient dans un import)",
        ]


class DeparturesToConfirm(ImportRefused):
    """More than the threshold would go: nothing was written; `departures` is the plan."""

    def __init__(self, departures: Departures, threshold: float):
        super().__init__(
            f"Cet import retirerait à l'établissement plus de {format_percent(100 * threshold)} "
            f"de ses élèves ou de ses responsables : {departures.eleves_sortis} élèves sortis "
            f"sur {departures.eleves_total}, {departures.responsables_retires} responsables "
            f"retirés sur {departures.responsables_total}, {departures.comptes_fermes} comptes "
            "fermés. Il n'a pas été appliqué : vérifiez les fichiers, puis confirmez l'import "
            "si ces sorties sont attendues.")
        self.departures = departures
        self.threshold = threshold


def check_departures(departures: Departures, threshold: float,
                     confirmed: bool | Departures) -> None:
    """Raise `DeparturesToConfirm` unless the import stays under the threshold or is confirmed
    (True, or a plan shown before that covers this one)."""
    if not departures.exceeds(threshold) or confirmed is True:
        return
    if isinstance(confirmed, Departures) and confirmed.covers(departures):
        return
    raise DeparturesToConfirm(departures, threshold)


def plan_departures(state, plan) -> Departures:
    """`state`: import_writer.State (the rows now); `plan`: importer._Plan (checked files)."""
    eleve_sid = {v[0]: sid for sid, v in state.eleves.items()}
    resp_sid = {v[0]: sid for sid, v in state.responsables.items()}
    present = {e.siecle_id for e in plan.eleves} if plan.eleves_file else set(state.eleves)
    links_now = {(eleve_sid[e], resp_sid[r]): v for (e, r), v in state.liens.items()}
    if plan.responsables_file:
        links_after = plan.liens  # (ELEVE_ID, PERSONNE_ID) -> niveau
    else:
        links_after = {k: v[1] for k, v in links_now.items() if k[0] in present}
    used_now = ({v[8] for v in state.eleves.values() if v[8]}
                | {v[2] for v in state.liens.values() if v[2]})
    used_after = {state.eleves[sid][8] for sid in present
                  if sid in state.eleves and state.eleves[sid][8]}
    used_after |= {v[2] for k, v in links_now.items()
                   if v[2] and links_after.get(k) in (1, 2)}
    guardians_after = {p for _, p in links_after}
    return Departures(
        eleves_sortis=len(set(state.eleves) - present), eleves_total=len(state.eleves),
        responsables_retires=len(set(state.responsables) - guardians_after),
        responsables_total=len(state.responsables),
        comptes_fermes=len(used_now - used_after))


class Keeper:
    """The establishment's kept accounts, for one import: what it keeps, what it gives back."""

    def __init__(self, etab_id: int, today: dt.date):
        self.etab_id, self.today = etab_id, today
        self.kept = {(r[0], r[1]): (r[2], r[3]) for r in db.session.execute(select(
            CompteConserve.eleve_siecle_id, CompteConserve.personne_siecle_id,
            CompteConserve.id, CompteConserve.compte_id)
            .where(CompteConserve.etablissement_id == etab_id))}
        self.new: dict[tuple[str, str], tuple[int | None, int]] = {}
        self.given: list[int] = []  # kept rows whose account was given back
        self.reopened: set[int] = set()

    def take(self, eleve_sid: str, personne_sid: str = "") -> int | None:
        """The account kept for this pupil ("") or this link, given back; None if none."""
        key = (eleve_sid, personne_sid)
        if key in self.new:
            return self.new.pop(key)[1]
        found = self.kept.pop(key, None)
        if found is None:
            return None
        self.given.append(found[0])
        self.reopened.add(found[1])
        return found[1]

    def keep(self, eleve_sid: str, personne_sid: str, niveau: int | None, compte_id: int) -> None:
        """Remember `compte_id` for this pupil ("") or link (replacing an older one)."""
        self.new[(eleve_sid, personne_sid)] = (niveau, compte_id)

    def write(self, orphans: set[int]) -> int:
        """Writes the kept rows, closes `orphans` (accounts nobody uses any more) and reopens
        the accounts given back. Returns how many accounts were reopened."""
        ex = db.session.execute
        for part in _chunks(self.given):
            ex(delete(CompteConserve).where(CompteConserve.id.in_(part))
               .execution_options(synchronize_session=False))
        replaced = [self.kept[k][0] for k in self.new if k in self.kept]
        for part in _chunks(replaced):
            ex(delete(CompteConserve).where(CompteConserve.id.in_(part))
               .execution_options(synchronize_session=False))
        if self.new:
            ex(insert(CompteConserve.__table__), [
                {"etablissement_id": self.etab_id, "eleve_siecle_id": e,
                 "personne_siecle_id": p, "niveau": n, "compte_id": c, "sorti_le": self.today}
                for (e, p), (n, c) in self.new.items()])
        now = utcnow()
        for part in _chunks(sorted(orphans)):
            ex(update(Compte).where(Compte.id.in_(part), Compte.ferme_le.is_(None))
               .values(ferme_le=now).execution_options(synchronize_session=False))
        # Closed by an import (an account replaced under R-ACC-8 has remplace_par_id: it stays).
        reopened = 0
        for part in _chunks(sorted(self.reopened - orphans)):
            reopened += ex(update(Compte).where(
                Compte.id.in_(part), Compte.ferme_le.is_not(None),
                Compte.remplace_par_id.is_(None))
                .values(ferme_le=None).execution_options(synchronize_session=False)).rowcount
        return reopened


def _chunks(items: list) -> list[list]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
