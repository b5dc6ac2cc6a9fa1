"""compte_conserve: accounts kept when a SIECLE import takes their pupil or link away (R-DAT-3)

Revision ID: b1_import_safety
Revises: 1ad568efc15f
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1_import_safety'
down_revision = '1ad568efc15f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('compte_conserve',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('etablissement_id', sa.Integer(), nullable=False),
    sa.Column('eleve_siecle_id', sa.String(length=20), nullable=False),
    sa.Column('personne_siecle_id', sa.String(length=20), nullable=False),
    sa.Column('niveau', sa.Integer(), nullable=True),
    sa.Column('compte_id', sa.Integer(), nullable=False),
    sa.Column('sorti_le', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['compte_id'], ['compte.id'], name=op.f('fk_compte_conserve_compte_id_compte'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['etablissement_id'], ['etablissement.id'], name=op.f('fk_compte_conserve_etablissement_id_etablissement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compte_conserve')),
    sa.UniqueConstraint('etablissement_id', 'eleve_siecle_id', 'personne_siecle_id', name='uq_compte_conserve_siecle_ids')
    )
    with op.batch_alter_table('compte_conserve', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compte_conserve_compte_id'), ['compte_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compte_conserve_etablissement_id'), ['etablissement_id'], unique=False)


def downgrade():
    with op.batch_alter_table('compte_conserve', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compte_conserve_etablissement_id'))
        batch_op.drop_index(batch_op.f('ix_compte_conserve_compte_id'))

    op.drop_table('compte_conserve')
