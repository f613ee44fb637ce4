"""Follow-up: commitments, their updates, the reminders sent; each event's check-in days

Revision ID: 7c2d4e5cef7f
Revises: fcac488e5e56
Create Date: 2026-12-02 05:55:40.024123

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2d4e5cef7f'
down_revision = 'fcac488e5e56'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('change_idea', sa.Text(), nullable=False),
    sa.Column('why_new', sa.Text(), nullable=False),
    sa.Column('test_where', sa.String(length=300), nullable=False),
    sa.Column('test_with_whom', sa.String(length=300), nullable=False),
    sa.Column('test_starts_on', sa.Date(), nullable=True),
    sa.Column('test_due_on', sa.Date(), nullable=True),
    sa.Column('prediction', sa.Text(), nullable=False),
    sa.Column('measure', sa.String(length=300), nullable=False),
    sa.Column('baseline', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('support_needed', sa.Text(), nullable=False),
    sa.Column('support_from', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('planned', 'testing', 'adopted', 'adapted', 'abandoned', 'scaled', name='commitmentstatus', native_enum=False, length=17), nullable=False),
    sa.Column('visibility', sa.Enum('private', 'network', 'public', name='visibility', native_enum=False, length=15), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('test_due_on IS NULL OR test_starts_on IS NULL OR test_due_on >= test_starts_on', name=op.f('ck_commitments_test_dates_in_order')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_commitments_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_commitments_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_commitments_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_commitments_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitments'))
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index('ix_commitments_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_visit_id'), ['visit_id'], unique=False)

    op.create_table('commitment_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('tried', sa.Text(), nullable=False),
    sa.Column('learned', sa.Text(), nullable=False),
    sa.Column('decision', sa.Enum('adopt', 'adapt', 'abandon', 'scale', name='decision', native_enum=False, length=15), nullable=True),
    sa.Column('status_before', sa.Enum('planned', 'testing', 'adopted', 'adapted', 'abandoned', 'scaled', name='commitmentstatus', native_enum=False, length=17), nullable=False),
    sa.Column('status_after', sa.Enum('planned', 'testing', 'adopted', 'adapted', 'abandoned', 'scaled', name='commitmentstatus', native_enum=False, length=17), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], name=op.f('fk_commitment_updates_commitment_id_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_commitment_updates_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_updates'))
    )
    with op.batch_alter_table('commitment_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_updates_commitment_id'), ['commitment_id'], unique=False)

    op.create_table('followup_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_followup_reminders_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_followup_reminders_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_followup_reminders_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_reminders')),
    sa.UniqueConstraint('registration_id', 'kind', name=op.f('uq_followup_reminders_registration_id_kind'))
    )
    with op.batch_alter_table('followup_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_reminders_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        # Events that exist already get the network's usual 30, 60 and 90 days, and two weeks before the next one.
        batch_op.add_column(sa.Column('followup_days', sa.JSON(), nullable=False, server_default='[30, 60, 90]'))
        batch_op.add_column(sa.Column('followup_before_next_days', sa.Integer(), nullable=True, server_default='14'))



def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('followup_before_next_days')
        batch_op.drop_column('followup_days')

    with op.batch_alter_table('followup_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_reminders_event_id'))

    op.drop_table('followup_reminders')
    with op.batch_alter_table('commitment_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_updates_commitment_id'))

    op.drop_table('commitment_updates')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitments_visit_id'))
        batch_op.drop_index(batch_op.f('ix_commitments_registration_id'))
        batch_op.drop_index('ix_commitments_event_status')

    op.drop_table('commitments')
