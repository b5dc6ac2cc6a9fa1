"""notification outbox, lock row and job runner columns (issue 9 §2, R-ACC-3/4/6)

Revision ID: b2_notification_outbox
Revises: b1_import_safety
Create Date: 2026-11-30 10:00:00

- `notification_outbox`: one row per account of a notification job, stored before anything is
  sent; at most one open row (pending / sending) per account (partial unique index).
- `notification_lock`: one row per establishment, the lock that serialises notifications.
- `job`: runner identity (kind, host, pid, process start), heartbeat and attempts, for the
  recovery of jobs whose runner is gone (status « interrupted »).
"""
from alembic import op
import sqlalchemy as sa


revision = 'b2_notification_outbox'
down_revision = 'b1_import_safety'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('pending', 'sending')")


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('runner_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('runner_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('runner_started', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        # Existing jobs ran once; the server default only fills them.
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='1'))

    op.create_table('notification_lock',
    sa.Column('etablissement_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('locked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['etablissement_id'], ['etablissement.id'], name=op.f('fk_notification_lock_etablissement_id_etablissement')),
    sa.PrimaryKeyConstraint('etablissement_id', name=op.f('pk_notification_lock'))
    )
    op.create_table('notification_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('etablissement_id', sa.Integer(), nullable=False),
    sa.Column('compte_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('new_password', sa.Boolean(), nullable=False),
    sa.Column('continuite', sa.Boolean(), nullable=False),
    sa.Column('etat_before', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['compte_id'], ['compte.id'], name=op.f('fk_notification_outbox_compte_id_compte'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['etablissement_id'], ['etablissement.id'], name=op.f('fk_notification_outbox_etablissement_id_etablissement')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_notification_outbox_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_outbox'))
    )
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_outbox_compte_id'), ['compte_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_outbox_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ux_notification_outbox_open_compte', ['compte_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index('ux_notification_outbox_open_compte')
        batch_op.drop_index(batch_op.f('ix_notification_outbox_job_id'))
        batch_op.drop_index(batch_op.f('ix_notification_outbox_compte_id'))

    op.drop_table('notification_outbox')
    op.drop_table('notification_lock')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('runner_started')
        batch_op.drop_column('runner_pid')
        batch_op.drop_column('runner_host')
        batch_op.drop_column('runner')
