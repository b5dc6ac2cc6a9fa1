"""`admints import-siecle`: SIECLE BEE files (or a .zip of them) into an establishment (R-DAT-1).

The command owns the transaction: one commit when the import succeeds, a rollback and exit code 1
with the French message when it is refused — the database is then exactly as before. From here an
unknown UAI creates the establishment (named from the files when they say it). An import that
would take away more than the threshold of the establishment's pupils or guardians (R-DAT-3) is
not applied without `--confirm-departures`: the command prints its plan and exits with code 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..siecle.departures import DeparturesToConfirm
from ..siecle.importer import import_siecle
from .group import admints_cli
from .output import emit, fail

EXIT_TO_CONFIRM = 3


class DeparturesNotConfirmed(click.ClickException):
    exit_code = EXIT_TO_CONFIRM


@admints_cli.command("import-siecle")
@click.option("--uai", required=True, help="UAI de l'établissement (créé s'il est inconnu).")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--confirm-departures", is_flag=True,
              help="Appliquer l'import même s'il retire plus que le seuil des élèves ou des "
                   "responsables (sinon : plan affiché, rien n'est modifié, code de sortie 3).")
@click.option("--json", "as_json", is_flag=True, help="Résumé en un objet JSON.")
def import_siecle_command(uai: str, files: tuple[Path, ...], confirm_departures: bool,
                          as_json: bool) -> None:
    """Importe des exports SIECLE BEE (ElevesSansAdresses, ResponsablesAvecAdresses,
    Nomenclature, Structures, ou un .zip de ces fichiers)."""
    payload = [(path.name, path.read_bytes()) for path in files]
    try:
        summary = import_siecle(payload, uai=uai, create_missing=True, today=clock.today(),
                                confirm_departures=confirm_departures)
        db.session.commit()
    except DeparturesToConfirm as error:
        db.session.rollback()
        if as_json:
            click.echo(json.dumps({"error": error.message, "plan": error.departures.as_dict()},
                                  ensure_ascii=False), err=True)
        else:
            click.echo("\n".join(["Plan de l'import (non appliqué) :",
                                  *(f"  {line}" for line in error.departures.lines_fr())]),
                       err=True)
        raise DeparturesNotConfirmed(
            f"{error.message} Relancez avec --confirm-departures pour l'appliquer.") from None
    except DomainError as error:
        db.session.rollback()
        fail(error, as_json)
    emit(summary.as_dict(), as_json, "\n".join(summary.lines_fr()))
