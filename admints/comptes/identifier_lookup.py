"""Which identifiers already taken can collide with a batch of new ones (R-ACC-2, issue 14).

Identifiers are unique across the whole database (`compte.identifiant` UNIQUE), so the check is
global — but through the unique index: for each base `prenom.nom`, one range scan
`base <= identifiant < base + ':'` (':' follows the digits in ASCII), which holds `base`, its
order numbers and a few longer names, sorted out by `identifiers.collides`. Never a read of
every identifier: an import into an establishment costs the same in an empty database and in an
académie of a million accounts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Compte
from .identifiers import IdentifierAllocator, base_identifier, collides

# Ranges OR-ed in one statement: each one an index range scan.
BASES_PER_STATEMENT = 200
_CODEPOINT_ORDER = ("C", "POSIX", "C.UTF-8", "C.utf8")


_collations: dict[str, str] = {}


def _column():
    """The identifier compared in code-point order. PostgreSQL with a linguistic collation
    (fr_FR…) sorts '.' and digits its own way: compared in "C" there (correct, not indexed);
    SQLite (BINARY) and C-like clusters use the unique index as it is."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return Compte.identifiant
    key = str(bind.url)
    if key not in _collations:
        _collations[key] = db.session.execute(db.text(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()")).scalar()
    if _collations[key] in _CODEPOINT_ORDER:
        return Compte.identifiant
    return Compte.identifiant.collate("C")


def _bases_of(ident: str):
    """The bases `ident` can be an allocation of: itself, then without 1, 2… trailing digits."""
    yield ident
    while ident and ident[-1].isdigit():
        ident = ident[:-1]
        yield ident


def taken_among(bases: Iterable[str]) -> set[str]:
    """The identifiers taken that are one of `bases` or one of them with an order number."""
    bases = sorted(set(bases))
    column, taken = _column(), set()
    for i in range(0, len(bases), BASES_PER_STATEMENT):
        part = bases[i:i + BASES_PER_STATEMENT]
        wanted = set(part)
        found = db.session.scalars(select(Compte.identifiant).where(
            or_(*(and_(column >= b, column < b + ":") for b in part))))
        taken.update(ident for ident in found
                     if any(b in wanted and collides(b, ident) for b in _bases_of(ident)))
    return taken


def load_for(allocator: IdentifierAllocator, people: Iterable[tuple[str, str]]) -> None:
    """Completes `allocator.taken` for these (prenom, nom): the bases not loaded yet."""
    bases = {base_identifier(prenom, nom) for prenom, nom in people} - allocator.loaded_bases
    if bases:
        allocator.taken.update(taken_among(bases))
        allocator.loaded_bases.update(bases)
