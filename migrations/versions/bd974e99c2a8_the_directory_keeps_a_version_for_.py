"""The directory keeps a version for imports

Revision ID: bd974e99c2a8
Revises: 17f3893fb81d
Create Date: 2026-12-05 22:04:36.834647

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bd974e99c2a8'
down_revision = '17f3893fb81d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_state'))
    )


def downgrade():
    op.drop_table('directory_state')
