"""Network logo; invitations keep their first organizer

Revision ID: e8023b230dbc
Revises: d34246bbc781
Create Date: 2026-12-05 21:10:07.844922

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'e8023b230dbc'
down_revision = 'd34246bbc781'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_digest', sa.String(length=16), server_default='', nullable=False))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_organizer', sa.String(length=254), nullable=True))

    with op.batch_alter_table('visit_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_organizer', sa.String(length=254), nullable=True))

    # Invitations already in calendars were sent from today's MAIL_ORGANIZER: they keep it from now on.
    organizer = current_app.config["MAIL_ORGANIZER"]
    for table in ("registrations", "visit_seats"):
        op.execute(sa.text(f"UPDATE {table} SET invite_organizer = :organizer WHERE invite_sequence > 0")
                   .bindparams(organizer=organizer))


def downgrade():
    with op.batch_alter_table('visit_seats', schema=None) as batch_op:
        batch_op.drop_column('invite_organizer')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('invite_organizer')

    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.drop_column('logo_digest')
        batch_op.drop_column('logo')
