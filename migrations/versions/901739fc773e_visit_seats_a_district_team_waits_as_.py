"""Visit seats: a district team waits as one party

Revision ID: 901739fc773e
Revises: 258e83780be5
Create Date: 2026-12-05 06:29:56.422360

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '901739fc773e'
down_revision = '258e83780be5'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('visit_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('party_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('split_offered', sa.Integer(), nullable=True))

def downgrade():
    with op.batch_alter_table('visit_seats', schema=None) as batch_op:
        batch_op.drop_column('split_offered')
        batch_op.drop_column('party_id')

