"""The `admints` command group itself; each area's module adds its commands to it."""

from flask.cli import AppGroup

admints_cli = AppGroup("admints", help="Commandes d'administration d'AdminTS.")
