"""Scoped queries (issue 14 point 3): composite indexes on the pupil's establishment

Every list and statistics query now filters each table by establishment; the lists' division
and MEF filters (and a level notified across the académie) read the establishment's pupils of
one division or MEF through (etablissement_id, division_id) / (etablissement_id, mef_id).
The identifiers' range scans use the existing unique index on compte.identifiant.

Revision ID: e1_scoped_indexes
Revises: d3_etablissement_fiche
"""
from alembic import op


revision = "e1_scoped_indexes"
down_revision = "d3_etablissement_fiche"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_eleve_etab_division", "eleve", ["etablissement_id", "division_id"])
    op.create_index("ix_eleve_etab_mef", "eleve", ["etablissement_id", "mef_id"])


def downgrade():
    op.drop_index("ix_eleve_etab_mef", table_name="eleve")
    op.drop_index("ix_eleve_etab_division", table_name="eleve")
