"""server-side sessions and per-user session version (R-SEC-4)

`server_session` holds the staff sessions (the cookie keeps only their random id);
`staff_user.session_version` is part of the id kept in a session: raising it ends every
session of that user.

Revision ID: b3_server_sessions
Revises: b2_notification_outbox
"""
from alembic import op
import sqlalchemy as sa


revision = "b3_server_sessions"
down_revision = "b2_notification_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "server_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_session")),
        sa.UniqueConstraint("session_id", name=op.f("uq_server_session_session_id")),
    )
    with op.batch_alter_table("server_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_server_session_expiry"), ["expiry"], unique=False)
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0",
                                      nullable=False))


def downgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("server_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_session_expiry"))
    op.drop_table("server_session")
