"""Events may take member districts' addresses only

Revision ID: 17f3893fb81d
Revises: 09cf293498c2
Create Date: 2026-12-05 21:43:09.199493

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '17f3893fb81d'
down_revision = '09cf293498c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_addresses_only', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('member_addresses_only')

