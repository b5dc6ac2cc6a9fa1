"""Fiche établissement (issue 12 point 2): the head's title under « Le chef d'établissement »

The other details of the Fiche (name, address, postal code, city, phone, email addresses, head's
name) already have their columns; only the title is new. Nullable: an establishment without a
title signs « Le chef d'établissement ».

Revision ID: d3_etablissement_fiche
Revises: c1_job_function_paths
"""
from alembic import op
import sqlalchemy as sa


revision = "d3_etablissement_fiche"
down_revision = "c1_job_function_paths"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("etablissement") as batch:
        batch.add_column(sa.Column("chef_titre", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("etablissement") as batch:
        batch.drop_column("chef_titre")
