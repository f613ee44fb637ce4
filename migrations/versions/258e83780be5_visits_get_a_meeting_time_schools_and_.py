"""Visits get a meeting time; schools and visit seats remember when they changed

Revision ID: 258e83780be5
Revises: 7c2d4e5cef7f
Create Date: 2026-12-04 21:29:03.436469

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '258e83780be5'
down_revision = '7c2d4e5cef7f'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows take the time of the upgrade, then the columns become required.
    for table in ('schools', 'visit_seats'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = CURRENT_TIMESTAMP")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meets_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('meets_at')

    with op.batch_alter_table('visit_seats', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
