"""indexes for the most frequent queries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_athlete_id_acknowledged_at', ['athlete_id', 'acknowledged_at'], unique=False)

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_athlete_id_local_date', ['athlete_id', 'local_date'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_not_before', ['status', 'not_before'], unique=False)

    with op.batch_alter_table('scheduled_prompt', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_prompt_status_due_at', ['status', 'due_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('scheduled_prompt', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_prompt_status_due_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_not_before')

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_athlete_id_local_date')

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_athlete_id_acknowledged_at')


