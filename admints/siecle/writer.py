"""Writing side of the SIECLE import (R-DAT-1): the establishment's current rows loaded into dicts
(`State`), and a checked plan applied with bulk statements (`Writer`) — executemany inserts on the
tables, updates by primary key, deletes by chunks of ids. Accounts are never deleted here: those
taken from a pupil who leaves or from a link that goes are kept and closed, and given back when the
pupil or the link returns (`departures.Keeper`, R-DAT-3). Used by `admints.siecle.importer` only,
after every check has passed; flushes nothing itself, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update

from ..clock import utcnow
from ..comptes import identifier_lookup
from ..comptes.identifiers import IdentifierAllocator
from ..extensions import db
from ..models import (
    Compte,
    Division,
    Eleve,
    EtatCompte,
    Groupe,
    KindCompte,
    Mef,
    Responsable,
    ResponsableEleve,
    eleve_groupe,
)
from .departures import Keeper

CHUNK = 900
PERSON_FIELDS = ("civilite", "nom", "prenom", "email", "adresse_ligne1", "adresse_ligne2",
                 "adresse_ligne3", "adresse_ligne4", "code_postal", "commune", "pays")
ELEVE_FIELDS = ("ine", "nom", "prenom", "date_naissance", "sexe", "mef_id", "division_id")


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass
class State:
    """The establishment's current rows, as plain tuples keyed by their SIECLE code."""

    mefs: dict = field(default_factory=dict)  # code -> (id, libelle, formation, mefstat)
    divisions: dict = field(default_factory=dict)  # code -> (id, libelle)
    groupes: dict = field(default_factory=dict)
    eleves: dict = field(default_factory=dict)  # siecle_id -> (id, *ELEVE_FIELDS, compte_id)
    responsables: dict = field(default_factory=dict)  # siecle_id -> (id, *PERSON_FIELDS)
    liens: dict = field(default_factory=dict)  # (eleve_pk, resp_pk) -> (id, niveau, compte_id)
    membres: set = field(default_factory=set)  # (eleve_pk, groupe_pk)

    @classmethod
    def load(cls, etab_id: int | None) -> State:
        state = cls()
        if etab_id is None:
            return state
        ex = db.session.execute
        state.mefs = {r[0]: tuple(r[1:]) for r in ex(select(
            Mef.code, Mef.id, Mef.libelle, Mef.formation, Mef.mefstat)
            .where(Mef.etablissement_id == etab_id))}
        for model, target in ((Division, state.divisions), (Groupe, state.groupes)):
            target.update({r[0]: (r[1], r[2]) for r in ex(select(
                model.code, model.id, model.libelle).where(model.etablissement_id == etab_id))})
        cols = [getattr(Eleve, f) for f in ELEVE_FIELDS]
        state.eleves = {r[0]: tuple(r[1:]) for r in ex(select(
            Eleve.siecle_id, Eleve.id, *cols, Eleve.compte_id)
            .where(Eleve.etablissement_id == etab_id))}
        cols = [getattr(Responsable, f) for f in PERSON_FIELDS]
        state.responsables = {r[0]: tuple(r[1:]) for r in ex(select(
            Responsable.siecle_id, Responsable.id, *cols)
            .where(Responsable.etablissement_id == etab_id))}
        state.liens = {(r[0], r[1]): (r[2], r[3], r[4]) for r in ex(select(
            ResponsableEleve.eleve_id, ResponsableEleve.responsable_id, ResponsableEleve.id,
            ResponsableEleve.niveau, ResponsableEleve.compte_id)
            .where(ResponsableEleve.etablissement_id == etab_id))}
        state.membres = {(r[0], r[1]) for r in ex(select(
            eleve_groupe.c.eleve_id, eleve_groupe.c.groupe_id)
            .join(Eleve, Eleve.id == eleve_groupe.c.eleve_id)
            .where(Eleve.etablissement_id == etab_id))}
        return state


class Writer:
    """Applies a checked plan with bulk statements."""

    def __init__(self, etab_id: int, state: State, plan, summary, today: dt.date):
        self.etab_id, self.state, self.plan, self.s = etab_id, state, plan, summary
        self.detached_comptes: set[int] = set()
        self._allocator: IdentifierAllocator | None = None
        self.keeper = Keeper(etab_id, today)
        self.ex = db.session.execute

    def siecle_ids(self) -> tuple[dict, dict]:
        """Primary key -> SIECLE id of the pupils and of the guardians, as the state is now."""
        return ({v[0]: sid for sid, v in self.state.eleves.items()},
                {v[0]: sid for sid, v in self.state.responsables.items()})

    def run(self) -> None:
        self.sync_mefs()
        self.sync_structures()
        if self.plan.eleves_file:
            self.sync_eleves()
        if self.plan.responsables_file:
            self.sync_responsables()
            self.sync_liens()
        self.ensure_link_accounts()
        self.drop_orphans()

    # -- accounts ---------------------------------------------------------------------------
    def allocator(self) -> IdentifierAllocator:
        if self._allocator is None:  # filled per batch with what can collide (new_comptes)
            self._allocator = IdentifierAllocator()
        return self._allocator

    def new_comptes(self, kind: str, people: list[tuple[str, str]]) -> list[int]:
        """Creates one *Non notifié* account per (prenom, nom); returns their ids in order."""
        if not people:
            return []
        alloc, now = self.allocator(), utcnow()
        identifier_lookup.load_for(alloc, people)
        rows = [{"etablissement_id": self.etab_id, "kind": kind, "identifiant":
                 alloc.allocate(prenom, nom), "etat": EtatCompte.NON_NOTIFIE.value,
                 "email_valide": False, "continuite": False, "created_at": now}
                for prenom, nom in people]
        self.ex(insert(Compte.__table__), rows)
        idents = [r["identifiant"] for r in rows]
        ids: dict[str, int] = {}
        for part in _chunks(idents):
            ids.update(self.ex(select(Compte.identifiant, Compte.id)
                               .where(Compte.identifiant.in_(part))).all())
        self.s.add("comptes", "created", len(rows))
        return [ids[i] for i in idents]

    # -- reference data ---------------------------------------------------------------------
    def sync_mefs(self) -> None:
        nomen = self.plan.nomenclature
        wanted = {m.code: (m.libelle, m.formation, m.mefstat)
                  for m in (nomen.mefs if nomen else [])}
        for code in self.plan.placeholder_mefs:
            wanted.setdefault(code, (code, None, None))
        existing = self.state.mefs
        new = [{"etablissement_id": self.etab_id, "code": c, "libelle": v[0], "formation": v[1],
                "mefstat": v[2]} for c, v in wanted.items() if c not in existing]
        changed = [{"id": existing[c][0], "libelle": v[0], "formation": v[1], "mefstat": v[2]}
                   for c, v in wanted.items()
                   if c in existing and nomen is not None and tuple(existing[c][1:]) != v]
        if new:
            self.ex(insert(Mef.__table__), new)
        if changed:
            self.ex(update(Mef), changed)
        self.s.add("mefs", "created", len(new))
        self.s.add("mefs", "updated", len(changed))
        if nomen is not None:
            self.s.add("mefs", "left", len(set(existing) - set(wanted)))
        if new:
            self.state.mefs = {r[0]: (r[1],) for r in self.ex(select(Mef.code, Mef.id)
                               .where(Mef.etablissement_id == self.etab_id))}

    def sync_structures(self) -> None:
        for typ, model, kind in (("D", Division, "divisions"), ("G", Groupe, "groupes")):
            existing = getattr(self.state, kind)
            wanted = {code: lib for (t, code), lib in self.plan.structures.items() if t == typ}
            new = [{"etablissement_id": self.etab_id, "code": c, "libelle": lib or c}
                   for c, lib in wanted.items() if c not in existing]
            changed = [{"id": existing[c][0], "libelle": lib} for c, lib in wanted.items()
                       if c in existing and lib and existing[c][1] != lib]
            if new:
                self.ex(insert(model.__table__), new)
            if changed:
                self.ex(update(model), changed)
            self.s.add(kind, "created", len(new))
            self.s.add(kind, "updated", len(changed))
            if self.plan.eleves_file:
                self.s.add(kind, "left", len(set(existing) - set(wanted)))
            if new:
                setattr(self.state, kind, {r[0]: (r[1], None) for r in self.ex(
                    select(model.code, model.id).where(model.etablissement_id == self.etab_id))})

    # -- pupils -----------------------------------------------------------------------------
    def sync_eleves(self) -> None:
        st, mefs, divs = self.state, self.state.mefs, self.state.divisions
        new, changed, need_compte = [], [], []
        for e in self.plan.eleves:
            values = (e.ine, e.nom, e.prenom, e.date_naissance, e.sexe,
                      mefs[e.code_mef][0] if e.code_mef else None,
                      divs[e.division][0] if e.division else None)
            old = st.eleves.get(e.siecle_id)
            if old is None:
                new.append((e, values))
            else:
                if tuple(old[1:8]) != values:
                    changed.append({"id": old[0], **dict(zip(ELEVE_FIELDS, values, strict=True))})
                if old[8] is None:
                    need_compte.append((old[0], e))
        left_ids = [st.eleves[k][0]
                    for k in set(st.eleves) - {e.siecle_id for e in self.plan.eleves}]
        if left_ids:
            self.remove_eleves(left_ids)
        comptes = self.pupil_comptes([e for e, _ in new])
        if new:
            self.ex(insert(Eleve.__table__), [
                {"etablissement_id": self.etab_id, "siecle_id": e.siecle_id,
                 **dict(zip(ELEVE_FIELDS, values, strict=True)), "compte_id": cid}
                for (e, values), cid in zip(new, comptes, strict=True)])
        if changed:
            self.ex(update(Eleve), changed)
        if need_compte:
            ids = self.pupil_comptes([e for _, e in need_compte])
            self.ex(update(Eleve), [{"id": pk, "compte_id": cid}
                                    for (pk, _), cid in zip(need_compte, ids, strict=True)])
        self.s.add("eleves", "created", len(new))
        self.s.add("eleves", "updated", len(changed))
        self.s.add("eleves", "left", len(left_ids))
        kept = {e.siecle_id for e in self.plan.eleves}
        st.eleves = {r[0]: (r[1],) for r in self.ex(select(Eleve.siecle_id, Eleve.id)
                     .where(Eleve.etablissement_id == self.etab_id)) if r[0] in kept}
        self.sync_membres()

    def pupil_comptes(self, eleves: list) -> list[int]:
        """An account for each pupil: the one kept for it if it comes back, else a new one."""
        ids = [self.keeper.take(e.siecle_id) for e in eleves]
        fresh = iter(self.new_comptes(KindCompte.ELEVE.value, [
            (e.prenom, e.nom) for e, cid in zip(eleves, ids, strict=True) if cid is None]))
        return [cid if cid is not None else next(fresh) for cid in ids]

    def remove_eleves(self, ids: list[int]) -> None:
        """The pupils who left: rows, memberships and links deleted, accounts kept."""
        gone = set(ids)
        st = self.state
        eleve_sid, resp_sid = self.siecle_ids()
        for pk in gone:
            compte_id = st.eleves[eleve_sid[pk]][8]
            if compte_id:
                self.keeper.keep(eleve_sid[pk], "", None, compte_id)
                self.detached_comptes.add(compte_id)
        for (e, r), (_, niveau, compte_id) in st.liens.items():
            if e in gone and compte_id:
                self.keeper.keep(eleve_sid[e], resp_sid[r], niveau, compte_id)
                self.detached_comptes.add(compte_id)
        for part in _chunks(ids):
            self.ex(delete(eleve_groupe).where(eleve_groupe.c.eleve_id.in_(part)))
            self.ex(delete(ResponsableEleve).where(ResponsableEleve.eleve_id.in_(part))
                    .execution_options(synchronize_session=False))
            self.ex(delete(Eleve).where(Eleve.id.in_(part))
                    .execution_options(synchronize_session=False))
        st.liens = {k: v for k, v in st.liens.items() if k[0] not in gone}
        st.membres = {m for m in st.membres if m[0] not in gone}

    def sync_membres(self) -> None:
        st = self.state
        wanted = {(st.eleves[e.siecle_id][0], st.groupes[g][0])
                  for e in self.plan.eleves for g in e.groupes}
        add, drop = wanted - st.membres, st.membres - wanted
        if add:
            self.ex(eleve_groupe.insert(), [{"eleve_id": a, "groupe_id": b} for a, b in add])
        for a, b in drop:  # rare: a pupil changing group
            self.ex(delete(eleve_groupe).where(eleve_groupe.c.eleve_id == a,
                                               eleve_groupe.c.groupe_id == b))
        st.membres = wanted

    # -- guardians --------------------------------------------------------------------------
    def sync_responsables(self) -> None:
        existing, wanted = self.state.responsables, self.plan.personnes
        new, changed = [], []
        for pid, p in wanted.items():
            values = tuple(getattr(p, f) for f in PERSON_FIELDS)
            old = existing.get(pid)
            if old is None:
                new.append({"etablissement_id": self.etab_id, "siecle_id": pid,
                            **dict(zip(PERSON_FIELDS, values, strict=True))})
            elif tuple(old[1:]) != values:
                changed.append({"id": old[0], **dict(zip(PERSON_FIELDS, values, strict=True))})
        if new:
            self.ex(insert(Responsable.__table__), new)
        if changed:
            self.ex(update(Responsable), changed)
        self.s.add("responsables", "created", len(new))
        self.s.add("responsables", "updated", len(changed))
        if new:
            self.state.responsables = {r[0]: (r[1],) for r in self.ex(select(
                Responsable.siecle_id, Responsable.id)
                .where(Responsable.etablissement_id == self.etab_id))}

    def sync_liens(self) -> None:
        st = self.state
        eleve_sid, resp_sid = self.siecle_ids()
        wanted = {(st.eleves[e][0], st.responsables[p][0]): n
                  for (e, p), n in self.plan.liens.items()}
        new = [(k, n) for k, n in wanted.items() if k not in st.liens]
        changed = []
        for k, n in wanted.items():
            if k in st.liens and st.liens[k][1] != n:
                lid, before, cid = st.liens[k]
                if n == 0 and cid:  # no longer légal: no account (kept for the link)
                    self.keeper.keep(eleve_sid[k[0]], resp_sid[k[1]], before, cid)
                    self.detached_comptes.add(cid)
                    cid = None
                changed.append({"id": lid, "niveau": n, "compte_id": cid})
                st.liens[k] = (lid, n, cid)
        dropped = [(k, v) for k, v in st.liens.items() if k not in wanted]
        for part in _chunks([v[0] for _, v in dropped]):
            self.ex(delete(ResponsableEleve).where(ResponsableEleve.id.in_(part))
                    .execution_options(synchronize_session=False))
        for (e, r), (_, niveau, cid) in dropped:
            if cid:
                self.keeper.keep(eleve_sid[e], resp_sid[r], niveau, cid)
                self.detached_comptes.add(cid)
        if changed:
            self.ex(update(ResponsableEleve), changed)
        if new:
            self.ex(insert(ResponsableEleve.__table__), [
                {"etablissement_id": self.etab_id, "eleve_id": e, "responsable_id": r,
                 "niveau": n, "compte_id": None} for (e, r), n in new])
        if new or dropped:
            st.liens = {(r[0], r[1]): (r[2], r[3], r[4]) for r in self.ex(select(
                ResponsableEleve.eleve_id, ResponsableEleve.responsable_id, ResponsableEleve.id,
                ResponsableEleve.niveau, ResponsableEleve.compte_id)
                .where(ResponsableEleve.etablissement_id == self.etab_id))}

    def ensure_link_accounts(self) -> None:
        """Every légal 1/2 link carries an account: the one kept for it if the link comes back,
        else a new one (new links, or accounts expired since)."""
        st = self.state
        bare = [(k, v[0]) for k, v in st.liens.items() if v[1] in (1, 2) and not v[2]]
        if not bare:
            return
        eleve_pks = {k[0] for k, _ in bare}
        eleve_sid = {r[0]: r[1] for r in self.ex(select(Eleve.id, Eleve.siecle_id).where(
            Eleve.etablissement_id == self.etab_id)) if r[0] in eleve_pks}
        names = {r[0]: (r[1], r[2], r[3]) for r in self.ex(
            select(Responsable.id, Responsable.prenom, Responsable.nom, Responsable.siecle_id)
            .where(Responsable.etablissement_id == self.etab_id))}
        ids = [self.keeper.take(eleve_sid[k[0]], names[k[1]][2]) for k, _ in bare]
        fresh = iter(self.new_comptes(KindCompte.RESPONSABLE.value, [
            names[k[1]][:2] for (k, _), cid in zip(bare, ids, strict=True) if cid is None]))
        ids = [cid if cid is not None else next(fresh) for cid in ids]
        self.ex(update(ResponsableEleve), [{"id": lid, "compte_id": cid}
                                           for (_, lid), cid in zip(bare, ids, strict=True)])
        for (k, lid), cid in zip(bare, ids, strict=True):
            st.liens[k] = (lid, st.liens[k][1], cid)

    # -- what nobody uses any more --------------------------------------------------------------
    def drop_orphans(self) -> None:
        """Accounts nobody uses any more are closed and kept (never deleted: R-DAT-3); guardians
        left without a link are deleted (a re-import recreates them from the file)."""
        in_use = {v[2] for v in self.state.liens.values() if v[2]}
        orphans = self.detached_comptes - in_use
        self.s.comptes_rouverts = self.keeper.write(orphans)
        self.s.add("comptes", "left", len(orphans))
        linked = {k[1] for k in self.state.liens}
        gone = [pk for pk in self.ex(select(Responsable.id)
                .where(Responsable.etablissement_id == self.etab_id)).scalars()
                if pk not in linked]
        for part in _chunks(gone):
            self.ex(delete(Responsable).where(Responsable.id.in_(part))
                    .execution_options(synchronize_session=False))
        self.s.add("responsables", "left", len(gone))
