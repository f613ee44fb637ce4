"""Events remind attendees a few days before

Revision ID: 4243f9a7fc28
Revises: e3b6fa5d756a
Create Date: 2026-12-05 07:35:22.616889

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4243f9a7fc28'
down_revision = 'e3b6fa5d756a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days_before', sa.Integer(), server_default='3', nullable=True))



def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('reminder_days_before')

