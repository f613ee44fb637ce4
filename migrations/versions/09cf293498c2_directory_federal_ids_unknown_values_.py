"""Directory: federal ids, unknown values, archiving, email domains

Revision ID: 09cf293498c2
Revises: e8023b230dbc
Create Date: 2026-12-05 21:24:48.016534

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '09cf293498c2'
down_revision = 'e8023b230dbc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('nces_leaid', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('member_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('email_domains', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('notes', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('timezone',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.alter_column('enrollment',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('locale',
               existing_type=sa.VARCHAR(length=14),
               nullable=True)
        batch_op.alter_column('frl_percent',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('grade_span',
               existing_type=sa.VARCHAR(length=10),
               nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_districts_name_state'), type_='unique')
        batch_op.create_index('ix_districts_name_state', ['name', 'state'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_districts_nces_leaid'), ['nces_leaid'])

    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nces_id', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('uq_schools_district_name_without_nces_id', ['district_id', 'name'], unique=True, sqlite_where=sa.text('nces_id IS NULL'), postgresql_where=sa.text('nces_id IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_schools_nces_id'), ['nces_id'])



def downgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_schools_nces_id'), type_='unique')
        batch_op.drop_index('uq_schools_district_name_without_nces_id', sqlite_where=sa.text('nces_id IS NULL'), postgresql_where=sa.text('nces_id IS NULL'))
        batch_op.drop_column('archived_at')
        batch_op.drop_column('nces_id')

    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_districts_nces_leaid'), type_='unique')
        batch_op.drop_index('ix_districts_name_state')
        batch_op.create_unique_constraint(batch_op.f('uq_districts_name_state'), ['name', 'state'])
        batch_op.alter_column('grade_span',
               existing_type=sa.VARCHAR(length=10),
               nullable=False)
        batch_op.alter_column('frl_percent',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('locale',
               existing_type=sa.VARCHAR(length=14),
               nullable=False)
        batch_op.alter_column('enrollment',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('timezone',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('archived_at')
        batch_op.drop_column('notes')
        batch_op.drop_column('email_domains')
        batch_op.drop_column('member_since')
        batch_op.drop_column('nces_leaid')
        batch_op.drop_column('city')

