"""`admints import-siecle`: SIECLE BEE files (or a .zip of them) into an establishment (R-DAT-1).

The command owns the transaction: one commit when the import succeeds, a rollback and exit code 1
with the French message when it is refused — the database is then exactly as before. From here an
unknown UAI creates the establishment (named from the files when they say it).
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..importer import import_siecle
from . import admints_cli
from .output import emit, fail


@admints_cli.command("import-siecle")
@click.option("--uai", required=True, help="UAI de l'établissement (créé s'il est inconnu).")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Résumé en un objet JSON.")
def import_siecle_command(uai: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Importe des exports SIECLE BEE (ElevesSansAdresses, ResponsablesAvecAdresses,
    Nomenclature, Structures, ou un .zip de ces fichiers)."""
    payload = [(path.name, path.read_bytes()) for path in files]
    try:
        summary = import_siecle(payload, uai=uai, create_missing=True, today=clock.today())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    emit(summary.as_dict(), as_json, "\n".join(summary.lines_fr()))
