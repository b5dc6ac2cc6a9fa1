"""The `flask --app app admints …` command group. One module per area registers its commands;
commands own their transaction and map domain errors to a message and exit code 1."""

from __future__ import annotations

from flask.cli import AppGroup

admints_cli = AppGroup("admints", help="Commandes d'administration d'AdminTS.")

# Registration by import; each module adds its commands to `admints_cli`.
from . import users  # noqa: E402,F401
from . import siecle  # noqa: E402,F401
from . import demo  # noqa: E402,F401
from . import accounts  # noqa: E402,F401
from . import stats  # noqa: E402,F401
from . import services  # noqa: E402,F401
from . import jobs  # noqa: E402,F401
