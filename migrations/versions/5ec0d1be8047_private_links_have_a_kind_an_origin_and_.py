"""Private links have a kind, an origin and a last use; feeds store no hash

Revision ID: 5ec0d1be8047
Revises: 7d8603933d66
Create Date: 2026-12-05 14:16:32.414000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ec0d1be8047'
down_revision = '7d8603933d66'
branch_labels = None
depends_on = None


def upgrade():
    # Links already out are management links from emails, never used as far as anyone recorded.
    with op.batch_alter_table('private_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('manage', 'feed', name='linkkind', native_enum=False, length=14), server_default='manage', nullable=False))
        batch_op.add_column(sa.Column('origin', sa.Enum('email', 'print', 'page', 'calendar', name='linkorigin', native_enum=False, length=16), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_index('ix_private_links_registration_live', ['registration_id', 'kind', 'revoked_at'], unique=False)



def downgrade():
    # A feed has no hash to keep: its subscriptions stop.
    op.execute("DELETE FROM private_links WHERE kind = 'feed'")
    with op.batch_alter_table('private_links', schema=None) as batch_op:
        batch_op.drop_index('ix_private_links_registration_live')
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('origin')
        batch_op.drop_column('kind')

