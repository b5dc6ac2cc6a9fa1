"""The `flask --app app admints …` command group. One module per area registers its commands;
commands own their transaction and map domain errors to a message and exit code 1."""

from __future__ import annotations

# Registration by import: each module adds its commands to `admints_cli`.
from . import comptes, demo, etablissement, jobs, siecle, statistiques, teleservices, users
from .group import admints_cli

__all__ = ["admints_cli", "comptes", "demo", "etablissement", "jobs", "siecle", "statistiques",
           "teleservices", "users"]
