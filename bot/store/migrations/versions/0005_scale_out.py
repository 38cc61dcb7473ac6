"""scale-out: the update inbox, ordered replies, a shared send budget, one-row guarantees

- ``inbox_update`` replaces ``processed_update``: every update is stored before Telegram is
  told it arrived (processed ids are carried over as done);
- ``send_budget``: the deployment-wide send rate every replica reserves from;
- ``outbox``: how a row is sent (a new message or an edit), the question it shows, and an
  index that keeps each chat's messages in order;
- ``questionnaire_progress.shown_step``: which question the athlete was shown (with
  ``message_id``), and at most one open questionnaire per athlete;
- one decision per athlete, day and kind; one sign-off per gate (stage and day).

Rows that the new constraints forbid are resolved first: extra open questionnaires are
cancelled (the most recently touched one stays open), duplicate decisions keep their newest
row (alerts are pointed at it), duplicate sign-offs keep the latest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status <> 'done'"
_UNSENT = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_table(
        'inbox_update',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('payload', sa.String(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('processed_by', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processed', 'done')", name=op.f('ck_inbox_update_status')
        ),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox_update')),
    )
    op.create_index(
        'ix_inbox_update_open_chat', 'inbox_update', ['chat_id', 'update_id'],
        sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN),
    )
    op.create_index(
        'ix_inbox_update_open_lease', 'inbox_update', ['lease_until'],
        sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN),
    )
    op.create_index('ix_inbox_update_received_at', 'inbox_update', ['received_at'])
    op.execute(
        "INSERT INTO inbox_update (update_id, chat_id, status, received_at, processed_at, "
        "attempts) SELECT update_id, 0, 'done', processed_at, processed_at, 1 "
        "FROM processed_update"
    )
    op.drop_table('processed_update')

    op.create_table(
        'send_budget',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('next_free', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_send_budget')),
    )

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('method', sa.String(length=16), nullable=False, server_default='send')
        )
        batch_op.add_column(sa.Column('target_message_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('progress_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'method', "method IN ('send', 'edit_text', 'edit_markup')"
        )
    op.create_index(
        'ix_outbox_unsent_chat', 'outbox', ['chat_id', 'id'],
        sqlite_where=sa.text(_UNSENT), postgresql_where=sa.text(_UNSENT),
    )
    op.create_index(
        'ix_outbox_progress_step', 'outbox', ['progress_id', 'step'],
        sqlite_where=sa.text('progress_id IS NOT NULL'),
        postgresql_where=sa.text('progress_id IS NOT NULL'),
    )

    # One open questionnaire per athlete: keep the most recently touched one open.
    op.execute(
        "UPDATE questionnaire_progress SET status = 'cancelled' WHERE status = 'open' AND id <> "
        "(SELECT q.id FROM questionnaire_progress q WHERE q.athlete_id = "
        "questionnaire_progress.athlete_id AND q.status = 'open' "
        "ORDER BY q.updated_at DESC, q.id DESC LIMIT 1)"
    )
    op.drop_index('uq_questionnaire_progress_open', table_name='questionnaire_progress')
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_step', sa.Integer(), nullable=True))
    op.create_index(
        'uq_questionnaire_progress_open', 'questionnaire_progress', ['athlete_id'], unique=True,
        sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
    )

    # One decision per athlete, day and kind: the newest stays, alerts follow it.
    op.execute(
        "UPDATE alert SET decision_id = (SELECT MAX(d2.id) FROM decision d1 JOIN decision d2 "
        "ON d2.athlete_id = d1.athlete_id AND d2.local_date = d1.local_date "
        "AND d2.kind = d1.kind WHERE d1.id = alert.decision_id) "
        "WHERE decision_id IS NOT NULL"
    )
    op.execute(
        "DELETE FROM decision WHERE id <> (SELECT MAX(d.id) FROM decision d "
        "WHERE d.athlete_id = decision.athlete_id AND d.local_date = decision.local_date "
        "AND d.kind = decision.kind)"
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            'uq_decision_athlete_id_local_date_kind', ['athlete_id', 'local_date', 'kind']
        )

    # One sign-off per gate (stage and day): the latest stays.
    op.execute(
        "DELETE FROM clearance WHERE NOT declined AND id <> (SELECT c.id FROM clearance c "
        "WHERE c.athlete_id = clearance.athlete_id AND c.stage = clearance.stage "
        "AND c.local_date = clearance.local_date AND NOT c.declined "
        "ORDER BY c.at DESC, c.id DESC LIMIT 1)"
    )
    op.create_index(
        'uq_clearance_gate', 'clearance', ['athlete_id', 'stage', 'local_date'], unique=True,
        sqlite_where=sa.text('NOT declined'), postgresql_where=sa.text('NOT declined'),
    )


def downgrade() -> None:
    op.drop_index('uq_clearance_gate', table_name='clearance')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_decision_athlete_id_local_date_kind', type_='unique')

    op.drop_index('uq_questionnaire_progress_open', table_name='questionnaire_progress')
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.drop_column('shown_step')
    op.create_index(
        'uq_questionnaire_progress_open', 'questionnaire_progress',
        ['athlete_id', 'kind', 'local_date'], unique=True,
        sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
    )

    op.drop_index('ix_outbox_progress_step', table_name='outbox')
    op.drop_index('ix_outbox_unsent_chat', table_name='outbox')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('method', type_='check')
        batch_op.drop_column('step')
        batch_op.drop_column('progress_id')
        batch_op.drop_column('target_message_id')
        batch_op.drop_column('method')

    op.drop_table('send_budget')

    op.create_table(
        'processed_update',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_update')),
    )
    op.execute(
        "INSERT INTO processed_update (update_id, processed_at) "
        "SELECT update_id, COALESCE(processed_at, received_at) FROM inbox_update "
        "WHERE status <> 'pending'"
    )
    op.drop_index('ix_inbox_update_received_at', table_name='inbox_update')
    op.drop_index('ix_inbox_update_open_lease', table_name='inbox_update')
    op.drop_index('ix_inbox_update_open_chat', table_name='inbox_update')
    op.drop_table('inbox_update')
