"""Shared by the outbox tests (issue 9 §2): guardians with addresses, the environment of a
child process on the test's database and keys, passwords read back from emails and PDFs, the
passwords stored on accounts and in the outbox."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from admints import secrets_store
from admints.models import Compte, NotificationOutbox

from . import factories

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-28"
PWD = re.compile(r"Mot de passe provisoire : ([A-HJKMNP-Z2-9]{8})\b")
IDENT = re.compile(r"Identifiant : (\S+)")


def guardians(db, etab, emails, division="6A"):
    """One pupil per entry of `email_syntax` (None = no address, paper), légal 1 each; identifiers
    anne.parentNN. Committed; returns the links."""
    div = factories.make_division(etab, division)
    liens = []
    for i, email in enumerate(emails):
        eleve = factories.make_eleve(etab, f"ELEVE{i:02d}", "Test", division=div)
        resp = factories.make_responsable(etab, f"PARENT{i:02d}", "Anne", email=email)
        liens.append(factories.link(eleve, resp, 1, identifiant=f"anne.parent{i:02d}"))
    db.session.commit()
    return liens


def child_env(app, smtp_port: int, **extra) -> dict:
    """A child `create_app()` on the same database, keys and output directory as `app`."""
    env = dict(os.environ)
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY=app.config["SECRET_KEY"], DATA_KEYS=app.config["DATA_KEYS"],
               OUTPUT_DIR=app.config["OUTPUT_DIR"], MAIL_SERVER="127.0.0.1",
               MAIL_PORT=str(smtp_port), MAIL_TIMEOUT="30", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def flask_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", "admints", *args]


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def mail_password(received) -> tuple[str, str | None]:
    """(identifier, password or None) shown by a notification email."""
    text = received.text()
    password = PWD.search(text)
    return IDENT.search(text).group(1), password.group(1) if password else None


def pdf_passwords(path) -> dict[str, str | None]:
    """identifier → password of every letter of a PDF (one letter a page)."""
    out = {}
    for page in PdfReader(str(path)).pages:
        text = page.extract_text()
        ident = re.search(r"Identifiant\s*:\s*(\S+)", text).group(1)
        password = re.search(r"Mot de passe \*\s*:\s*([A-HJKMNP-Z2-9]{8})\b", text)
        out[ident] = password.group(1) if password else None
    return out


def stored(db, compte_id: int) -> str | None:
    db.session.expire_all()
    return secrets_store.decrypt_secret(db.session.get(Compte, compte_id)
                                        .mot_de_passe_provisoire_chiffre)


def outbox_passwords(db, job_id: int) -> dict[int, str]:
    """compte_id → password stored in the job's open outbox rows."""
    db.session.expire_all()
    rows = db.session.scalars(db.select(NotificationOutbox).where(
        NotificationOutbox.job_id == job_id,
        NotificationOutbox.status.in_(("pending", "sending"))))
    return {r.compte_id: secrets_store.decrypt_secret(r.password_encrypted) for r in rows}
