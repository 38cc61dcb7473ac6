"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('checkin_time', sa.String(length=5), nullable=True),
    sa.Column('session_end_time', sa.String(length=5), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('unreachable', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('athlete', 'clinician', 'admin')", name=op.f('ck_person_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('uq_person_telegram_user_id'))
    )
    op.create_table('processed_update',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_update'))
    )
    op.create_table('baseline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_baseline_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_baseline'))
    )
    with op.batch_alter_table('baseline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baseline_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('checks_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_checks_record_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checks_record')),
    sa.UniqueConstraint('athlete_id', 'local_date', name=op.f('uq_checks_record_athlete_id_local_date'))
    )
    op.create_table('clearance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declined', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_clearance_athlete_id_person')),
    sa.ForeignKeyConstraint(['clinician_id'], ['person.id'], name=op.f('fk_clearance_clinician_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance'))
    )
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('clinician_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('hold', 'step_back', 'set_stage', 'pause', 'resume')", name=op.f('ck_clinician_action_kind')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_clinician_action_athlete_id_person')),
    sa.ForeignKeyConstraint(['clinician_id'], ['person.id'], name=op.f('fk_clinician_action_clinician_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinician_action'))
    )
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinician_action_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('text_version', sa.String(length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_consent_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_person_id'), ['person_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('protocol_name', sa.String(length=64), nullable=False),
    sa.Column('protocol_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('morning', 'daily')", name=op.f('ck_decision_kind')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_decision_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    op.create_table('injury',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('injury', sa.String(length=16), nullable=False),
    sa.Column('muscle', sa.String(length=32), nullable=True),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('injury_date', sa.Date(), nullable=False),
    sa.Column('mechanism', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_injury_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_injury'))
    )
    with op.batch_alter_table('injury', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_injury_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('clinician', 'athlete')", name=op.f('ck_invite_kind')),
    sa.ForeignKeyConstraint(['clinician_id'], ['person.id'], name=op.f('fk_invite_clinician_id_person')),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], name=op.f('fk_invite_created_by_person')),
    sa.ForeignKeyConstraint(['used_by'], ['person.id'], name=op.f('fk_invite_used_by_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite')),
    sa.UniqueConstraint('code', name=op.f('uq_invite_code'))
    )
    op.create_table('link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_link_athlete_id_person')),
    sa.ForeignKeyConstraint(['clinician_id'], ['person.id'], name=op.f('fk_link_clinician_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link')),
    sa.UniqueConstraint('athlete_id', 'clinician_id', name=op.f('uq_link_athlete_id_clinician_id'))
    )
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_clinician_id'), ['clinician_id'], unique=False)

    op.create_table('morning_checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_morning_checkin_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_morning_checkin')),
    sa.UniqueConstraint('athlete_id', 'local_date', name=op.f('uq_morning_checkin_athlete_id_local_date'))
    )
    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_note_athlete_id_person')),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_note_author_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('athlete_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('reply_markup', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('parse_mode', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'undeliverable')", name=op.f('ck_outbox_status')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_outbox_athlete_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_outbox_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    op.create_table('protocol_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_protocol_version_author_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_version')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_protocol_version_name_version'))
    )
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.create_index('uq_protocol_version_active', ['name'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('questionnaire_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_questionnaire_progress_status')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_questionnaire_progress_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_progress'))
    )
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_progress_athlete_id'), ['athlete_id'], unique=False)
        batch_op.create_index('uq_questionnaire_progress_open', ['athlete_id', 'kind', 'local_date'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('scheduled_prompt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('morning', 'reminder', 'cutoff', 'post_session', 'followup', 'digest')", name=op.f('ck_scheduled_prompt_kind')),
    sa.CheckConstraint("status IN ('pending', 'claimed', 'sent', 'missed', 'cancelled')", name=op.f('ck_scheduled_prompt_status')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_scheduled_prompt_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_prompt')),
    sa.UniqueConstraint('athlete_id', 'kind', 'local_date', name=op.f('uq_scheduled_prompt_athlete_id_kind_local_date'))
    )
    op.create_table('session_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_session_report_athlete_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_report')),
    sa.UniqueConstraint('athlete_id', 'local_date', name=op.f('uq_session_report_athlete_id_local_date'))
    )
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('resent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_to_admin_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('action_taken', sa.String(), nullable=True),
    sa.CheckConstraint("severity IN ('emergency', 'same_day', 'within_24h', 'info')", name=op.f('ck_alert_severity')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['person.id'], name=op.f('fk_alert_acknowledged_by_person')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_alert_athlete_id_person')),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_alert_decision_id_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_athlete_id'), ['athlete_id'], unique=False)

    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('injury_id', sa.Integer(), nullable=True),
    sa.Column('protocol_name', sa.String(length=64), nullable=False),
    sa.Column('protocol_version', sa.Integer(), nullable=False),
    sa.Column('current_stage', sa.String(length=64), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('state_json', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused', 'completed', 'stopped')", name=op.f('ck_programme_status')),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_programme_athlete_id_person')),
    sa.ForeignKeyConstraint(['injury_id'], ['injury.id'], name=op.f('fk_programme_injury_id_injury')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme'))
    )
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_athlete_id'), ['athlete_id'], unique=False)
        batch_op.create_index('uq_programme_current', ['athlete_id'], unique=True, sqlite_where=sa.text("status IN ('active', 'paused')"), postgresql_where=sa.text("status IN ('active', 'paused')"))

    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=64), nullable=True),
    sa.Column('to_stage', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_person_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['by_person_id'], ['person.id'], name=op.f('fk_stage_change_by_person_id_person')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_stage_change_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_programme_id'), ['programme_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_change_programme_id'))

    op.drop_table('stage_change')
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_index('uq_programme_current', sqlite_where=sa.text("status IN ('active', 'paused')"), postgresql_where=sa.text("status IN ('active', 'paused')"))
        batch_op.drop_index(batch_op.f('ix_programme_athlete_id'))

    op.drop_table('programme')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_athlete_id'))

    op.drop_table('alert')
    op.drop_table('session_report')
    op.drop_table('scheduled_prompt')
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.drop_index('uq_questionnaire_progress_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_questionnaire_progress_athlete_id'))

    op.drop_table('questionnaire_progress')
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.drop_index('uq_protocol_version_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('protocol_version')
    op.drop_table('outbox')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_athlete_id'))

    op.drop_table('note')
    op.drop_table('morning_checkin')
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_clinician_id'))

    op.drop_table('link')
    op.drop_table('invite')
    with op.batch_alter_table('injury', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_injury_athlete_id'))

    op.drop_table('injury')
    op.drop_table('decision')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_person_id'))

    op.drop_table('consent')
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinician_action_athlete_id'))

    op.drop_table('clinician_action')
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_athlete_id'))

    op.drop_table('clearance')
    op.drop_table('checks_record')
    with op.batch_alter_table('baseline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baseline_athlete_id'))

    op.drop_table('baseline')
    op.drop_table('processed_update')
    op.drop_table('person')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_athlete_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))

    op.drop_table('audit_log')

