"""Schools keep accepted ID kinds as a set

The free text each school had is read into kinds; what could not be read (a negation such as "the
scanner reads no passports", or words naming no kind) is kept for the organizer to check, and the
school-rules page and the visits list say so.

Revision ID: e3b6fa5d756a
Revises: 901739fc773e
Create Date: 2026-12-05

"""
import json

import sqlalchemy as sa
from alembic import op

from eventhub.models.idkinds import id_kinds_in_words, read_id_kinds

# revision identifiers, used by Alembic.
revision = 'e3b6fa5d756a'
down_revision = '901739fc773e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_id_kinds', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('accepted_ids_unread', sa.String(length=300), nullable=True))
    schools = sa.table('schools', sa.column('id', sa.Integer), sa.column('accepted_ids', sa.String),
                       sa.column('accepted_id_kinds', sa.JSON), sa.column('accepted_ids_unread', sa.String))
    connection = op.get_bind()
    for school_id, text in connection.execute(sa.select(schools.c.id, schools.c.accepted_ids)).all():
        kinds, unread = read_id_kinds(text or "")
        connection.execute(schools.update().where(schools.c.id == school_id).values(
            accepted_id_kinds=kinds, accepted_ids_unread="; ".join(unread)[:300]))
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.alter_column('accepted_id_kinds', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('accepted_ids_unread', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('accepted_ids')


def downgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_ids', sa.String(length=300), nullable=True))
    schools = sa.table('schools', sa.column('id', sa.Integer), sa.column('accepted_ids', sa.String),
                       sa.column('accepted_id_kinds', sa.JSON), sa.column('accepted_ids_unread', sa.String))
    connection = op.get_bind()
    for school_id, kinds, unread in connection.execute(
            sa.select(schools.c.id, schools.c.accepted_id_kinds, schools.c.accepted_ids_unread)).all():
        if isinstance(kinds, str):
            kinds = json.loads(kinds)
        words = "; ".join(filter(None, [id_kinds_in_words(kinds or []), unread]))
        connection.execute(schools.update().where(schools.c.id == school_id).values(accepted_ids=words[:300]))
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.alter_column('accepted_ids', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('accepted_ids_unread')
        batch_op.drop_column('accepted_id_kinds')
