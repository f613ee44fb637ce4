"""A place can be handed to a colleague

Revision ID: 7d8603933d66
Revises: 4243f9a7fc28
Create Date: 2026-12-05 07:39:43.478272

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d8603933d66'
down_revision = '4243f9a7fc28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('place_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('legal_first_name', sa.String(length=100), nullable=False),
    sa.Column('legal_last_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.Enum('superintendent', 'cabinet', 'cto', 'principal', 'coach', 'teacher', 'other', name='attendeerole', native_enum=False, length=22), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('new_registration_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['new_registration_id'], ['registrations.id'], name=op.f('fk_place_handovers_new_registration_id_registrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_place_handovers_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_handovers')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_place_handovers_token_hash'))
    )
    with op.batch_alter_table('place_handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_handovers_registration_id'), ['registration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('place_handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_handovers_registration_id'))

    op.drop_table('place_handovers')
